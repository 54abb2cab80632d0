"""Side-by-side benchmarks of scimcore against peer libraries (run: ``python -m benchmarks``)."""
