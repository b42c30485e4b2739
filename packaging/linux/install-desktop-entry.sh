#!/bin/sh
# Adds 匠心课堂 (Jiangxin) to this user's application menu, with its icon, pointing at the
# program in this folder. No root needed; nothing outside ~/.local/share is touched.
#
#     ./install-desktop-entry.sh              # after copying the jiangxin folder to its place
#     ./install-desktop-entry.sh --uninstall  # remove the menu entry and the icons again
#
# The entry points at this folder: if the folder moves (or the USB stick mounts elsewhere),
# run the script again from the new place.
set -eu

APP_ID=cn.jiangxin.Jiangxin
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
SIZES="16 24 32 48 64 128 256 512"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml"
    for size in $SIZES; do
        rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    echo "Removed the Jiangxin menu entry."
    exit 0
fi

EXE="$HERE/jiangxin"
SHARE="$HERE/_internal/linux"
ICONS="$HERE/_internal/resources/icons"
[ -x "$EXE" ] || { echo "No program at $EXE" >&2; exit 1; }

for size in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$ICONS/jiangxin-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
mkdir -p "$DATA/applications" "$DATA/metainfo"
# Exec wants the path quoted, with " ` $ and \ escaped (Desktop Entry Specification); then
# escape that again for sed's replacement text.
quoted=$(printf '%s' "$EXE" | sed -e 's/[\\"`$]/\\&/g' | sed -e 's/[\\&|]/\\&/g')
sed -e "s|^Exec=.*|Exec=\"$quoted\"|" -e "s|^Icon=.*|Icon=$APP_ID|" \
    "$SHARE/$APP_ID.desktop" > "$DATA/applications/$APP_ID.desktop"
cp "$SHARE/$APP_ID.metainfo.xml" "$DATA/metainfo/"
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
echo "Added 匠心课堂 (Jiangxin) to the application menu: $DATA/applications/$APP_ID.desktop"
