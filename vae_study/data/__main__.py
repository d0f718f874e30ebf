"""``python -m vae_study.data download NAME --dir DIR``: fetch a data set (needs a network)."""

import argparse

from vae_study.data.download import DOWNLOADS, download

parser = argparse.ArgumentParser(prog="python -m vae_study.data")
commands = parser.add_subparsers(dest="command", required=True)
fetch = commands.add_parser("download", help="download and verify a data set's files")
fetch.add_argument("name", choices=sorted(DOWNLOADS))
fetch.add_argument("--dir", default="data", help="folder to put the files in (default: ./data)")
arguments = parser.parse_args()
download(arguments.name, arguments.dir)
