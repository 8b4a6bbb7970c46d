"""Story files: parsing (parser, story), reading one file (file_reader, scan_items), the folder scan and the
watchers."""
