"""Everything that speaks Telegram: replies, text and HTML helpers, filters, i18n, the types patch."""
