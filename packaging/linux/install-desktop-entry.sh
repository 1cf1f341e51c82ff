#!/bin/sh
# Add Parley to the desktop's application menu for the current user, from wherever this
# folder was unpacked: the .desktop file (with this folder's absolute path), the icons, and a
# `parley` command in ~/.local/bin. Run it again after moving the folder.
#
#   ./install-desktop-entry.sh             install or update
#   ./install-desktop-entry.sh --uninstall remove the menu entry, icons and command (not your chats)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data/applications
icons=$data/icons/hicolor
bin=$HOME/.local/bin

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/parley.desktop" "$icons/scalable/apps/parley.svg" "$bin/parley"
    for png in "$here"/icons/parley-*.png; do
        size=${png##*/parley-}; size=${size%.png}
        rm -f "$icons/${size}x${size}/apps/parley.png"
    done
    echo "Parley removed from the menu. Your history and settings are kept."
    exit 0
fi

mkdir -p "$apps" "$icons/scalable/apps" "$bin"
for png in "$here"/icons/parley-*.png; do
    size=${png##*/parley-}; size=${size%.png}
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$png" "$icons/${size}x${size}/apps/parley.png"
done
cp "$here/icons/parley.svg" "$icons/scalable/apps/parley.svg"
# Exec= needs an absolute path, quoted for the .desktop format (spaces in the folder name);
# then escaped for sed's replacement text.
exec_path=$(printf '%s' "$here/parley" | sed 's/[\\"`$]/\\&/g; s/%/%%/g')
replacement=$(printf '%s' "$exec_path" | sed 's/[\\&|]/\\&/g')
sed "s|^Exec=parley|Exec=\"$replacement\"|" "$here/parley.desktop" >"$apps/parley.desktop"
ln -sf "$here/parley" "$bin/parley"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
echo "Parley is in the application menu; the parley command is $bin/parley."
case ":$PATH:" in *":$bin:"*) ;; *) echo "Add $bin to PATH to run parley from a terminal." ;; esac
