#!/bin/sh
# STAND-IN for Kafka's bin/kafka-topics.sh (tests only). Keeps topics as files
# <dir of $0>/../topics/<name> holding "<partitions> <replication>", records each argv line to
# <dir of $0>/../records/kafka-topics.log, and prints what Kafka 2.4 prints for --list, --create,
# --describe [--topic T | --under-replicated-partitions | --unavailable-partitions], --alter and
# --delete. Partition p of a topic with replication R has replicas (p+i) mod B for i < R, B being
# the number of brokers that started (records/broker-*.txt), the first one leading.
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$here/topics" "$here/records"
echo "$*" >> "$here/records/kafka-topics.log"
op="" topic="" parts="" repl=""
while [ $# -gt 0 ]; do
  case "$1" in
    --zookeeper) zk="$2"; shift ;;
    --list|--create|--describe|--alter|--delete) op="${1#--}" ;;
    --topic) topic="$2"; shift ;;
    --partitions) parts="$2"; shift ;;
    --replication-factor) repl="$2"; shift ;;
    --under-replicated-partitions) filter=urp ;;
    --unavailable-partitions) filter=unavailable ;;
  esac
  shift
done
[ -n "$zk" ] || { echo "Missing required argument \"[zookeeper]\"" >&2; exit 1; }
brokers=$(ls "$here"/records/broker-*.txt 2>/dev/null | wc -l)
[ "$brokers" -gt 0 ] || brokers=3
describe() {
  read p r < "$here/topics/$1"
  echo "Topic: $1	PartitionCount: $p	ReplicationFactor: $r	Configs: "
  i=0
  while [ $i -lt "$p" ]; do
    reps="" j=0
    while [ $j -lt "$r" ]; do reps="$reps${reps:+,}$(( (i + j) % brokers ))"; j=$((j + 1)); done
    echo "	Topic: $1	Partition: $i	Leader: ${reps%%,*}	Replicas: $reps	Isr: $reps"
    i=$((i + 1))
  done
}
case "$op" in
  list) ls "$here/topics" ;;
  create)
    if [ -e "$here/topics/$topic" ]; then
      echo "Error while executing topic command : Topic '$topic' already exists." >&2; exit 1
    fi
    if [ "${repl:-1}" -gt "$brokers" ]; then
      echo "Error while executing topic command : Replication factor: $repl larger than available brokers: $brokers." >&2; exit 1
    fi
    echo "${parts:-1} ${repl:-1}" > "$here/topics/$topic"
    echo "Created topic $topic." ;;
  describe)
    if [ -n "$filter" ]; then exit 0; fi
    if [ -n "$topic" ]; then
      [ -e "$here/topics/$topic" ] || { echo "Error while executing topic command : Topic '$topic' does not exist as expected" >&2; exit 1; }
      describe "$topic"
    else
      for t in $(ls "$here/topics"); do describe "$t"; done
    fi ;;
  alter)
    [ -e "$here/topics/$topic" ] || { echo "Error while executing topic command : Topic '$topic' does not exist as expected" >&2; exit 1; }
    read p r < "$here/topics/$topic"
    echo "$parts $r" > "$here/topics/$topic"
    echo "WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected"
    echo "Adding partitions succeeded!" ;;
  delete)
    [ -e "$here/topics/$topic" ] || { echo "Error while executing topic command : Topic '$topic' does not exist as expected" >&2; exit 1; }
    rm -f "$here/topics/$topic"
    echo "Topic $topic is marked for deletion."
    echo "Note: This will have no impact if delete.topic.enable is not set to true." ;;
  *) echo "Command must include exactly one action: --list, --describe, --create, --alter or --delete" >&2; exit 1 ;;
esac
