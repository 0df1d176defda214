# Sourced by the ci-*.sh peer scripts (it is not a peer itself): installs the Debian packages
# that are missing, keeping their maintainer scripts from starting system-wide daemons, and
# runs `apt-get update` only when start-peers.sh has not already (MAILSANSIO_APT_UPDATED).
# The caller defines `log`.

install_packages() {
    local missing='' pkg policy_added=0
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' || missing="$missing $pkg"
    done
    if [ -z "$missing" ]; then
        return 0
    fi
    log "installing:$missing"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    if [ -z "${MAILSANSIO_APT_UPDATED:-}" ]; then
        apt-get update -qq
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    if [ "$policy_added" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
}
