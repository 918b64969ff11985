"""/timeline: dated events merged across sources."""
