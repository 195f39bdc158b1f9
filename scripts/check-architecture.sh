#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keeps docs/architecture.md honest: every crate under crates/ must be listed in its
# "architecture:allowed-deps" block, and every workspace dependency (dhcpd-*) a crate's
# Cargo.toml names, in any [*dependencies*] section, must be allowed there. Other names in
# the block are external dependencies the crate is required to have (nom for dhcpd-conf).
#
#   bash scripts/check-architecture.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
doc="$ROOT/docs/architecture.md"
[ -f "$doc" ] || {
    echo "check-architecture: $doc is missing" >&2
    exit 1
}

# The fenced block after the marker: "crate: dep dep ...".
declare -A allowed
while IFS= read -r line; do
    name=${line%%:*}
    allowed[$name]=" ${line#*:} "
done < <(awk '/<!-- architecture:allowed-deps -->/ {m=1; next}
              m && /^```/ {if (in_block) exit; in_block=1; next}
              in_block && /:/ {print}' "$doc")
[ ${#allowed[@]} -gt 0 ] || {
    echo "check-architecture: no allowed-deps block found in $doc" >&2
    exit 1
}

problems=0
shopt -s nullglob
for manifest in "$ROOT"/crates/*/Cargo.toml; do
    crate=$(awk -F'"' '/^\[package\]/ {p=1; next} /^\[/ {p=0} p && /^name *=/ {print $2; exit}' "$manifest")
    if [ -z "${allowed[$crate]+set}" ]; then
        echo "check-architecture: crate $crate (${manifest#"$ROOT"/}) is not listed in docs/architecture.md" >&2
        problems=$((problems + 1))
        continue
    fi
    # Workspace crates named as dependencies: "dhcpd-x = ...", "dhcpd-x.workspace = true",
    # or a "[dependencies.dhcpd-x]" table header.
    deps=$(awk '
        /^\[/ {
            sec = $0
            dev = (sec ~ /dev-dependencies/) ? "dev:" : ""
            if (match(sec, /dependencies\.dhcpd[a-z0-9-]*/)) { print dev substr(sec, RSTART + 13, RLENGTH - 13) }
            in_deps = (sec ~ /dependencies\]$/)
            next
        }
        in_deps && match($0, /^dhcpd[a-z0-9-]*/) { print dev substr($0, RSTART, RLENGTH) }
    ' "$manifest" | sort -u)
    for dep in $deps; do
        # Test support may be a dev-dependency of any crate, never a normal dependency.
        [ "$dep" = "dev:dhcpd-testlab" ] && continue
        dep=${dep#dev:}
        case "${allowed[$crate]}" in
        *" $dep "*) ;;
        *)
            echo "check-architecture: $crate depends on $dep, which docs/architecture.md does not allow" >&2
            problems=$((problems + 1))
            ;;
        esac
    done
    # Names in the block that are not our crates are required external dependencies (the
    # configuration reader is specified as a nom parser): the crate must name them under
    # [dependencies].
    for req in ${allowed[$crate]}; do
        case "$req" in dhcpd*) continue ;; esac
        if ! awk -v d="$req" '
            /^\[/ { in_deps = ($0 == "[dependencies]"); next }
            in_deps && index($0, d) == 1 && substr($0, length(d) + 1, 1) ~ /^[ .=]?$/ { found = 1 }
            END { exit !found }' "$manifest"; then
            echo "check-architecture: $crate must depend on $req (docs/architecture.md requires it)" >&2
            problems=$((problems + 1))
        fi
    done
done
if [ $problems -ne 0 ]; then
    echo "check-architecture: $problems problem(s)" >&2
    exit 1
fi
echo "check-architecture: crates and their dependencies match docs/architecture.md"
