#!/usr/bin/env python3
"""Lists the library's public symbols that have no one-line summary in the DocC archive.

Usage: scripts/doc-coverage.py ARCHIVE_DIR...
Reads each ARCHIVE_DIR/documentation-coverage.json (written by `generate-documentation
--experimental-documentation-coverage`), prints every symbol without an abstract (module and path),
and exits 1 if there is one, 0 otherwise. `make docs` runs it.
"""
import json
import sys
from collections import Counter


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    entries = []
    for archive in sys.argv[1:]:
        path = f"{archive}/documentation-coverage.json"
        try:
            with open(path) as f:
                entries += json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            print(f"doc-coverage: cannot read {path}: {e}", file=sys.stderr)
            return 2
    symbols = [e for e in entries if e.get("kind", {}).get("isSymbol")]
    missing = sorted(
        e["referencePath"].removeprefix("doc://").replace("/documentation/", ": ", 1)
        for e in symbols
        if not e.get("hasAbstract")
    )
    by_module = Counter(m.split(":")[0] for m in missing)
    for m in missing:
        print(f"no summary: {m}")
    total = len(symbols)
    print(f"doc-coverage: {total - len(missing)} of {total} public symbols have a one-line summary"
          + (f"; missing by module: {dict(by_module)}" if missing else ""))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
