"""The imports: opinions and delegates read from the spreadsheets people bring."""
