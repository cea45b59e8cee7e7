#!/usr/bin/env bash
# Makes samples/sample.mp4: the demo input for `npm run demo` and the end-to-end tests.
#
# What it is: 16 s of 640x360 H.264 + AAC, under 1 MB. Four hard-cut shots of 4 s, each a slow zoom
# on a real photograph from Debian's python3-skimage package (astronaut, coffee, chelsea the cat,
# motorcycle), so the shot detector has true cuts to find and the vision models have real objects
# (person, cup, cat, motorcycle) to label. The soundtrack is speech by two clearly different
# espeak-ng voices (a low male en-us voice and a high female one) taking turns with short pauses,
# so the transcriber has words and the diarizer has two speakers to tell apart.
#
# Why generated, not downloaded: the machines have no network and the pictures' licences are
# those of scikit-image's bundled data (public domain / CC0 test images). Deterministic enough:
# fixed inputs, bitexact flags and no timestamps in the metadata; re-running gives the same media.
#
# Needs: ffmpeg, espeak-ng, sox, python3-skimage (apt-get install ffmpeg espeak-ng sox python3-skimage).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/samples/sample.mp4"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The Debian package lives in the system Python, which may not be the python3 first on PATH.
data=""
for py in /usr/bin/python3 python3; do
  if data="$("$py" -c 'import skimage.data, os; print(os.path.dirname(skimage.data.__file__))' 2>/dev/null)"; then break; fi
done
if [[ -z "$data" || ! -f "$data/astronaut.png" ]]; then
  echo "make-sample: scikit-image's data folder was not found: apt-get install python3-skimage" >&2
  exit 1
fi

fps=25
shot_seconds=4
frames_per_shot=100 # 4 s at 25 fps
total_seconds=16
images=(astronaut.png coffee.png chelsea.png motorcycle_left.png)

# --- pictures: one slow zoom per photograph ---------------------------------------------------
inputs=()
filters=""
for i in "${!images[@]}"; do
  inputs+=(-i "$data/${images[$i]}")
  # Cover 1280x720 first so zoompan's integer pan steps are half-pixels at the output size (less jitter).
  filters+="[$i:v]scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,setsar=1,"
  filters+="zoompan=z='1+0.0014*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=$frames_per_shot:s=640x360:fps=$fps,"
  filters+="trim=duration=$shot_seconds,setpts=PTS-STARTPTS[v$i];"
done
filters+="[v0][v1][v2][v3]concat=n=4:v=1:a=0,format=yuv420p[v]"

# --- speech: two voices taking turns ----------------------------------------------------------
say() { # voice pitch speed file text
  espeak-ng -v "$1" -p "$2" -s "$3" -w "$work/$4" "$5"
}
say en-us 30 150 a1.wav "Welcome to the media pipeline sample. Here is an astronaut."
say en+f4 75 160 b1.wav "And this is a cup of coffee."
say en-us 30 150 a2.wav "A cat named Chelsea is looking at us."
say en+f4 75 160 b2.wav "Finally, a red motorcycle. Thank you for watching."
rate=22050
sox -n -r "$rate" -c 1 "$work/gap.wav" trim 0 0.5
sox -n -r "$rate" -c 1 "$work/lead.wav" trim 0 0.3
sox -n -r "$rate" -c 1 "$work/tail.wav" trim 0 "$total_seconds"
sox "$work/lead.wav" "$work/a1.wav" "$work/gap.wav" "$work/b1.wav" "$work/gap.wav" \
  "$work/a2.wav" "$work/gap.wav" "$work/b2.wav" "$work/speech-raw.wav"
speech_seconds=$(soxi -D "$work/speech-raw.wav")
if awk -v s="$speech_seconds" 'BEGIN { exit !(s > 15.8) }'; then
  echo "make-sample: the speech runs ${speech_seconds}s, longer than the ${total_seconds} s video; shorten the lines" >&2
  exit 1
fi
# Exactly the video's length: pad with silence (or trim if the voices ever run long).
sox "$work/speech-raw.wav" "$work/tail.wav" "$work/speech.wav" trim 0 "$total_seconds"

# --- mux -------------------------------------------------------------------------------------
mkdir -p "$root/samples"
ffmpeg -hide_banner -loglevel error -nostdin -y \
  "${inputs[@]}" -i "$work/speech.wav" \
  -filter_complex "$filters" -map "[v]" -map 4:a -t "$total_seconds" \
  -c:v libx264 -preset medium -crf 27 -maxrate 450k -bufsize 900k -g 50 -pix_fmt yuv420p \
  -c:a aac -b:a 64k -ac 1 -ar 22050 \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
  -movflags +faststart "$out"

size=$(stat -c %s "$out")
echo "make-sample: wrote $out ($size bytes)"
if ((size >= 1048576)); then
  echo "make-sample: $out is over 1 MB; lower -crf/-maxrate" >&2
  exit 1
fi
