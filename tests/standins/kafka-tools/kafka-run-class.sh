#!/bin/sh
# STAND-IN for Kafka's bin/kafka-run-class.sh (tests only): only kafka.tools.GetOffsetShell. Records
# argv to <dir of $0>/../records/kafka-run-class.log and prints "topic:partition:offset" for each
# partition of the topic kept by the kafka-topics.sh stand-in (offset = 10 * partition).
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$here/records"
echo "$*" >> "$here/records/kafka-run-class.log"
[ "$1" = kafka.tools.GetOffsetShell ] || { echo "stand-in knows only kafka.tools.GetOffsetShell" >&2; exit 1; }
while [ $# -gt 0 ]; do [ "$1" = --topic ] && topic="$2"; shift; done
[ -e "$here/topics/$topic" ] || exit 0
read p r < "$here/topics/$topic"
i=0
while [ $i -lt "$p" ]; do echo "$topic:$i:$((i * 10))"; i=$((i + 1)); done
