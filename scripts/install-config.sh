#!/bin/sh
# install-config.sh - meson install script: copy configuration files into
# place only where none exists yet, so an operator's edits survive every
# reinstall and upgrade (meson's install_data would overwrite them).
#   install-config.sh MODE SRC DEST [SRC DEST]...
# DEST is absolute; $DESTDIR (set by meson install --destdir) is prepended.
# (meson 1.0 shows a script's output only when it fails.)
set -eu

mode=$1
shift
while [ $# -ge 2 ]; do
	src=$1 dest=${DESTDIR:-}$2
	shift 2
	if [ -e "$dest" ] || [ -L "$dest" ]; then
		echo "Keeping existing $dest (the new sample is in the examples directory)"
		continue
	fi
	mkdir -p "$(dirname "$dest")"
	# a temporary name, then rename: never a half-written config
	cp "$src" "$dest.new.$$"
	chmod "$mode" "$dest.new.$$"
	mv "$dest.new.$$" "$dest"
	echo "Installing $src to $dest"
done
[ $# -eq 0 ] || { echo "install-config.sh: odd number of arguments" >&2; exit 1; }
