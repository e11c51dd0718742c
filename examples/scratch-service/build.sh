#!/bin/sh
# Builds dist/scratch.jar against kmview-spi alone. Usage: build.sh [KMVIEW_DIST]
# KMVIEW_DIST is a built kmview distribution (default: the one this repository builds).
set -e
here=$(cd "$(dirname "$0")" && pwd)
dist=${1:-$here/../../kmview-launcher/target/kmview}
spi=$dist/lib/kmview-spi.jar
if [ ! -r "$spi" ]; then
    echo "build.sh: $spi not found; build kmview first (mvn -q package -DskipTests) or give its directory" >&2
    exit 2
fi
# Classes and jar go to separate directories: a directory holding both would offer the module twice.
rm -rf "$here/classes" "$here/dist"
javac -d "$here/classes" --module-path "$spi" $(find "$here/src" -name '*.java')
mkdir -p "$here/dist"
jar --create --file "$here/dist/scratch.jar" -C "$here/classes" .
echo "built $here/dist/scratch.jar"
