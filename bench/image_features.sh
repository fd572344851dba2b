# Sourced by bench/unet_recipe.sh and bench/image_quality.sh (needs pf=(java ... -jar JAR) and
# FEATURES): the feature network every FID here is read on, trained once with the
# `eval train-features` defaults and kept in the git-ignored bench/cache/.
ensure_features() {
  if [ ! -f "$FEATURES" ]; then
    mkdir -p "$(dirname "$FEATURES")"
    echo "# training the feature network once -> $FEATURES"
    "${pf[@]}" eval train-features --data fashion-mnist --out "$FEATURES" --log-every 30 2>&1 | grep -v '^WARNING: Using incubator'
  fi
  echo "# features: $FEATURES (sha256 $(sha256sum "$FEATURES" | cut -c1-12))"
}
