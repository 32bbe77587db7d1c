#!/bin/sh
# tinc's host-up and host-down for a mesh whose redirect has a follower (install-hook --mesh --follow). tincd
# forwards nothing while a host script runs, so this hands the peer over with shell builtins only, no program
# run: it writes the node's latest event to the handoff directory (`peer-NODE`: `up ADDRESS` or `down`, one
# write). When the follower that watches the directory runs (its pid and start time in `follower`, checked
# against /proc: a reused pid or a zombie is not it), that is all; otherwise `hook host-up`/`host-down` runs as
# without one. The entry is written either way, so the directory always holds every node's latest event: a
# follower started later folds it in at start (src/tinc/mesh-handoff-follower.ts).
#
# install-hook writes this file with the three values below filled in (src/tinc/mesh-handoff.ts).
d='/run/redirect-gateway/mesh/CONFBASE'
event='host-up'
fallback() { exec redirect-gateway hook "$event"; }

following() {
  read -r pid start 2>/dev/null <"$d/follower" || return 1
  read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
  # shellcheck disable=SC2086 # split into the fields of /proc/PID/stat after the command's name
  set -- ${stat##*) }
  [ "$1" != Z ] && [ "${20}" = "$start" ]
}

handoff() {
  case $NODE in '' | *[!A-Za-z0-9_]*) return 1 ;; esac
  case $event in
  host-up)
    case $REMOTEADDRESS in '' | *[!0-9A-Fa-f.:]*) return 1 ;; esac
    printf 'up %s\n' "$REMOTEADDRESS" 2>/dev/null >"$d/peer-$NODE" || return 1
    ;;
  *) printf 'down\n' 2>/dev/null >"$d/peer-$NODE" || return 1 ;;
  esac
  following
}

handoff && exit 0
fallback
