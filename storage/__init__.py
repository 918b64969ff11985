"""SQLite storage: the schema, its migrations and one repository per aggregate."""
