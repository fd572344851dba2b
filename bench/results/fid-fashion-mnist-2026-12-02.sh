#!/usr/bin/env bash
# FID measurement for the images branch (jar frozen at 2707d16). Runs under the bench lock.
set -u
J=(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -jar /tmp/img/panflow-2707d16.jar)
M=/tmp/img/m
echo "start $(date -u +%T); load: $(cat /proc/loadavg)"
s=$(date +%s); "${J[@]}" eval train-features --data fashion-mnist --out $M/fm-features.safetensors --log-every 30; echo "train-features wall $(( $(date +%s) - s )) s"
s=$(date +%s); "${J[@]}" train --data fashion-mnist --model unet --conditional --time-budget 6m --backend onednn --samples 0 --out $M/fm6 --log-every 60; echo "unet train wall $(( $(date +%s) - s )) s"
s=$(date +%s); "${J[@]}" sample --model $M/fm6/model.safetensors --n 1000 --solver euler --steps 20 --backend onednn --out $M/s1000.npy --png $M/s1000.png; echo "sample wall $(( $(date +%s) - s )) s"
s=$(date +%s); "${J[@]}" eval fid --samples $M/s1000.npy --features $M/fm-features.safetensors; echo "fid wall $(( $(date +%s) - s )) s"
echo "end $(date -u +%T); load: $(cat /proc/loadavg)"
