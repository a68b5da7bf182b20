"""One module per file format; each defines `read(path, report, **options)` and a `READER`."""
