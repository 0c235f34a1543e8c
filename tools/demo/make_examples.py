"""Example inputs for the main job (scripts/run.sh): one picture, one spoken word, one tone and one
video of the demo world, rendered from fixed held-out seeds (never trained on).

usage: python tools/demo/make_examples.py WORK OUT_DIR
Writes OUT_DIR/shapes.png (64x64), OUT_DIR/hello.wav and OUT_DIR/tone.wav (16 kHz PCM16, 1.024 s),
OUT_DIR/moving.mp4 (H.264, 8 frames 32x32 at 4 fps) and OUT_DIR/examples.json (their captions).
"""
import json
import os
import subprocess
import sys
import wave

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402


def write_wav(path, x):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(world.SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


def write_mp4(path, frames):
    T, H, W, _ = frames.shape
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
                    "-r", str(world.VIDEO_FPS), "-i", "-", "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p",
                    "-preset", "veryslow", "-threads", "1", "-bitexact", "-map_metadata", "-1", path],
                   input=frames.tobytes(), check=True)


def main():
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    seed = 2_000_003
    image = {"kind": "image", "shape": "star", "colour": "yellow", "count": 2, "size": "large",
             "background": "black", "seed": seed}
    speech = {"kind": "speech", "word": "hello", "voice": "en-us", "speed": 150, "pitch": 50, "seed": seed}
    tone = {"kind": "tone", "note": "A", "timbre": "sine", "octave": 4, "loud": "loud", "seed": seed}
    video = {"kind": "video", "shape": "circle", "colour": "red", "direction": "right", "background": "white",
             "seed": seed}
    Image.fromarray(world.render_image(image)).save(os.path.join(out, "shapes.png"), optimize=True)
    write_wav(os.path.join(out, "hello.wav"), world.render_audio(speech))
    write_wav(os.path.join(out, "tone.wav"), world.render_audio(tone))
    write_mp4(os.path.join(out, "moving.mp4"), world.render_video(video))
    with open(os.path.join(out, "examples.json"), "w") as f:
        json.dump({"shapes.png": world.caption(image), "hello.wav": world.caption(speech),
                   "tone.wav": world.caption(tone), "moving.mp4": world.caption(video)}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
