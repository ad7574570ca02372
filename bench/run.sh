#!/usr/bin/env bash
# Builds the bench module (and what it needs) and runs a benchmark: bench/run.sh bronze [--sf 1] [--format both]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Pbench -pl bench -am -DskipTests package
FLAGS=$(mvn -B -q help:evaluate -Dexpression=spark.java17.flags -DforceStdout -N)
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
case "${1:-bronze}" in
  bronze) shift || true; MAIN=dev.lakehouse.bench.BronzeIngestBench ;;
  *) echo "unknown benchmark $1; known: bronze" >&2; exit 2 ;;
esac
SPARK_LOCAL_IP=127.0.0.1 exec java -Xmx${BENCH_HEAP:-8g} $FLAGS -Dlog4j2.configurationFile=conf/log4j2.properties -cp "$CP" $MAIN "$@"
