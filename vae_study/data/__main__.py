"""``python -m vae_study.data download NAME --dir DIR``: fetch a data set (needs a network)."""

import argparse
import sys

from vae_study.data.download import DOWNLOADS, download
from vae_study.errors import ConfigError

parser = argparse.ArgumentParser(prog="python -m vae_study.data")
commands = parser.add_subparsers(dest="command", required=True)
fetch = commands.add_parser("download", help="download and verify a data set's files")
fetch.add_argument("name", choices=sorted(DOWNLOADS))
fetch.add_argument("--dir", default="data", help="folder to put the files in (default: ./data)")
arguments = parser.parse_args()
try:
    download(arguments.name, arguments.dir)
except (ConfigError, OSError) as error:  # OSError includes urllib's URLError: no network, 404
    print(f"python -m vae_study.data: {error}", file=sys.stderr)
    sys.exit(2)
