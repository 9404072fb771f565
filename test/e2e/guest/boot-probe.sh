#!/bin/bash
# Run at boot by e2e-boot-probe.service (written by systemd-units.sh): ordered after
# systemd-modules-load and systemd-sysctl and before rs-agent.service, it records what the
# boot files alone put in place before rs-agent starts: the ARP sysctls, the tunnel modules,
# and whether any VIP exists yet. One JSON object into $WORK/boot-probe.json.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
here=$(dirname "$(readlink -f "$0")")
. "$here/lib/systemd-observe.sh"
WORK=/var/lib/rs-agent-e2e
read_local_addrs
vips=
for v in 192.0.2.10 192.0.2.11 198.51.100.7 20010db8000000000000000000000010 20010db8000000000000000000000020; do
  [[ $LOCAL_ADDRS == *$'\n'"$v"$'\n'* ]] && vips="$vips$v "
done
echo "{\"t\":$(now),\"sysctls\":$(sysctls),\"modules\":$(modules),\"vips\":$(json_str "$vips"),\"rs_agent\":\"$(systemctl show -P ActiveState rs-agent.service)\"}" > "$WORK/boot-probe.json"
