# Shared by the model import tests: input shapes of the fixture models and an
# import that prints the graph with parameters elided and no locations.
# Expects $qatc and $work to be set; models are read from ${fixtures:-$work}.

# The --input-shape spec of MODEL (forward's argument name and shape).
input_shape() {
  case $1 in
    seed) echo "input=1x1x20x20" ;;
    digits) echo "x=1x1x8x8" ;;
    *) echo "x=1x3x224x224" ;;
  esac
}

# Imports MODEL.FORMAT into $work/MODEL.FORMAT.qirb (summary in .json) and
# prints it to $work/MODEL.FORMAT.qir.
imported() {
  local model=$1 format=$2 dir=${fixtures:-$work}
  "$qatc" import "$dir/$model.$format" -o "$work/$model.$format.qirb" \
    --input-shape "$(input_shape "$model")" --json > "$work/$model.$format.json" &&
    "$qatc" opt "$work/$model.$format.qirb" --elide-params --no-locations > "$work/$model.$format.qir"
}
