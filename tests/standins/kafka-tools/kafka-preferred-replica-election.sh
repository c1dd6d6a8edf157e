#!/bin/sh
# STAND-IN for Kafka's bin/kafka-preferred-replica-election.sh (tests only): records argv and the
# JSON file it was given to <dir of $0>/../records/leader-election.log.
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$here/records"
echo "$*" >> "$here/records/leader-election.log"
while [ $# -gt 0 ]; do [ "$1" = --path-to-json-file ] && cat "$2" >> "$here/records/leader-election.log"; shift; done
echo "Successfully started preferred replica election for partitions"
