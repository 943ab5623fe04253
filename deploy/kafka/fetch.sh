#!/usr/bin/env bash
# Fetches the Kafka broker and MirrorMaker 2 jars from Maven Central into a version-specific,
# git-ignored folder and prints its path. Idempotent: a complete folder is reused offline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KV=${KAFKA_VERSION:-4.3.1}
LIB=${KAFKA_LIB:-$here/../../.kafka/lib-$KV}
if [ ! -f "$LIB/.complete" ]; then
  command -v mvn >/dev/null || { echo "Maven (mvn) is not installed: apt-get install maven" >&2; exit 3; }
  # stale jars of another version on lib/* would mean duplicate classes
  rm -rf "$LIB"
  mkdir -p "$LIB"
  LIB=$(cd "$LIB" && pwd)
  if ! mvn -B -q -f "$here/pom.xml" -Dkafka.version="$KV" -Dlibdir="$LIB" dependency:copy-dependencies >"$LIB/../fetch-$KV.log" 2>&1; then
    tail -20 "$LIB/../fetch-$KV.log" >&2
    echo "Fetching the Kafka $KV jars from Maven Central failed (log: $LIB/../fetch-$KV.log); check the network and run deploy/kafka/fetch.sh again." >&2
    exit 4
  fi
  # the broker's main classes must be there, and exactly one SLF4J API with its log4j binding
  classes=$(jar tf "$LIB/kafka_2.13-$KV.jar")
  grep -x 'kafka/tools/StorageTool.class' <<<"$classes" >/dev/null
  grep -x 'kafka/Kafka.class' <<<"$classes" >/dev/null
  ls "$LIB"/log4j-core-*.jar "$LIB"/log4j-slf4j-impl-*.jar "$LIB"/connect-mirror-"$KV".jar >/dev/null
  [ "$(ls "$LIB"/slf4j-api-*.jar | wc -l)" -eq 1 ]
  touch "$LIB/.complete"
fi
cd "$LIB" && pwd
