#!/usr/bin/env bash
# experiment fewstep on Fashion-MNIST (issue 16 item 3), jar frozen at fewstep2 commit dd80241.
# Run as: nice -n 5 flock /tmp/panflow-bench.lock bash bench/results/fewstep-fashion-mnist-2026-12-02.sh
# The feature network is the one of the FID measurement (fid-fashion-mnist-2026-12-02.*: 89.26 % test accuracy),
# so FIDs here compare with that table.
set -u
J=(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -jar /tmp/fs2-panflow.jar)
echo "start $(date -u +%T); load: $(cat /proc/loadavg); $(lscpu | grep -m1 'Model name')"
s=$(date +%s)
"${J[@]}" experiment fewstep --data fashion-mnist --time-budget "${BUDGET:-4m}" --eval 1000 --channels 16,32,32 \
    --features runs/fs2/features.safetensors --out runs/fs2/fm --log-every 60
echo "experiment wall $(( $(date +%s) - s )) s"
echo "end $(date -u +%T); load: $(cat /proc/loadavg)"
