"""The demo world: coloured shapes, spoken words, tones and moving shapes.

Every item is a small dict of attributes plus a seed; rendering is a pure function of the
item, so the whole data set is reproducible from the seeds alone. This module is the one
place that knows the attribute vocabulary, the captions, the questions and the dialogues;
the training stages (tools/demo/train_*.py) and the evaluation set import it.

Sizes (fixed by the bundle's generators):
  image   64 x 64 RGB uint8            (Stable-Diffusion-shaped generator: latent 4 x 16 x 16)
  video   8 frames x 32 x 32 RGB, 4 fps (Zeroscope-shaped generator: latent 8 x 4 x 8 x 8)
  audio   16 kHz mono float32, 1.024 s  (AudioLDM-shaped generator: 64 mel bins x 16 frames,
                                        hop 1024, latent 4 x 4 x 16)
"""
import math
import os
import random
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ["circle", "square", "triangle", "star"]
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars"}
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 225),
           "yellow": (240, 205, 40), "purple": (150, 60, 190)}
BACKGROUNDS = {"white": (245, 245, 245), "black": (15, 15, 15), "gray": (125, 125, 125)}
COUNTS = {1: "one", 2: "two", 3: "three"}
SIZES = ["small", "large"]
DIRECTIONS = ["left", "right", "up", "down"]
WORDS = ["hello", "yes", "no", "cat", "dog", "stop"]
NOTES = ["C", "D", "E", "F", "G", "A", "B"]
NOTE_SEMITONE = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}  # from A4
TIMBRES = ["sine", "square", "sawtooth"]
NOISES = ["white", "pink", "brown"]
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-us+f3", "en-gb+f4", "en-us+m3"]

IMAGE_SIZE = 64
VIDEO_SIZE = 32
VIDEO_FRAMES = 8
VIDEO_FPS = 4
SAMPLE_RATE = 16000
AUDIO_SECONDS = 1.024
AUDIO_SAMPLES = int(round(SAMPLE_RATE * AUDIO_SECONDS))

TRAIN_SEED0 = 1            # training items use seeds [TRAIN_SEED0, 1e6)
EVAL_SEED0 = 1_000_003     # held-out items use seeds from here: never trained on


# --------------------------------------------------------------------------------------------
# items

def sample_image(rng):
    return {"kind": "image", "shape": rng.choice(SHAPES), "colour": rng.choice(list(COLOURS)),
            "count": rng.choice(list(COUNTS)), "size": rng.choice(SIZES),
            "background": rng.choice(list(BACKGROUNDS)), "seed": rng.randrange(1 << 30)}


def sample_video(rng):
    return {"kind": "video", "shape": rng.choice(SHAPES), "colour": rng.choice(list(COLOURS)),
            "direction": rng.choice(DIRECTIONS), "background": rng.choice(["white", "black"]),
            "seed": rng.randrange(1 << 30)}


def sample_audio(rng):
    r = rng.random()
    if r < 0.45:
        return {"kind": "speech", "word": rng.choice(WORDS), "voice": rng.choice(VOICES),
                "speed": rng.choice([130, 150, 170]), "pitch": rng.choice([35, 50, 65]),
                "seed": rng.randrange(1 << 30)}
    if r < 0.9:
        return {"kind": "tone", "note": rng.choice(NOTES), "timbre": rng.choice(TIMBRES),
                "octave": rng.choice([4, 5]), "loud": rng.choice(["quiet", "loud"]),
                "seed": rng.randrange(1 << 30)}
    return {"kind": "noise", "noise": rng.choice(NOISES), "loud": rng.choice(["quiet", "loud"]),
            "seed": rng.randrange(1 << 30)}


def items(kind, n, seed0):
    """n items of one kind ("image" | "video" | "audio"), item i from seed seed0 + i."""
    f = {"image": sample_image, "video": sample_video, "audio": sample_audio}[kind]
    return [f(random.Random(seed0 * 7919 + i * 104729 + {"image": 1, "video": 2, "audio": 3}[kind])) for i in range(n)]


# --------------------------------------------------------------------------------------------
# captions: the text each item is trained and judged against

def caption(it):
    k = it["kind"]
    if k == "image":
        n = it["count"]
        noun = it["shape"] if n == 1 else PLURAL[it["shape"]]
        art = "a" if n == 1 else COUNTS[n]
        return f"{art} {it['size']} {it['colour']} {noun} on a {it['background']} background"
    if k == "video":
        return f"a {it['colour']} {it['shape']} moving {it['direction']}"
    if k == "speech":
        return f"a voice saying {it['word']}"
    if k == "tone":
        return f"a {it['timbre']} tone playing the note {it['note']}"
    if k == "noise":
        return f"{it['noise']} noise"
    raise ValueError(k)


def short_caption(it):
    """The generation request form of an item (what a user asks a generator for)."""
    k = it["kind"]
    if k == "image":
        n = it["count"]
        noun = it["shape"] if n == 1 else PLURAL[it["shape"]]
        art = "a" if n == 1 else COUNTS[n]
        return f"{art} {it['colour']} {noun}"
    return caption(it)


# --------------------------------------------------------------------------------------------
# rendering

def _polygon(shape, cx, cy, r):
    if shape == "square":
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "triangle":
        return [(cx, cy - r), (cx + r * 0.95, cy + r * 0.8), (cx - r * 0.95, cy + r * 0.8)]
    if shape == "star":
        pts = []
        for i in range(10):
            a = -math.pi / 2 + i * math.pi / 5
            rr = r if i % 2 == 0 else r * 0.45
            pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return pts
    raise ValueError(shape)


def draw_shape(d, shape, cx, cy, r, fill):
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        d.polygon(_polygon(shape, cx, cy, r), fill=fill)


def _jitter(rng, rgb, amount=18):
    return tuple(int(min(255, max(0, c + rng.randint(-amount, amount)))) for c in rgb)


def render_image(it):
    """64 x 64 x 3 uint8. Shapes do not overlap; drawn at 4x and downsampled (anti-aliased)."""
    rng = random.Random(it["seed"])
    S, up = IMAGE_SIZE, 4
    bg = _jitter(rng, BACKGROUNDS[it["background"]], 8)
    im = Image.new("RGB", (S * up, S * up), bg)
    d = ImageDraw.Draw(im)
    n = it["count"]
    large = {1: (13, 17), 2: (10, 12), 3: (8.5, 9.5)}[n]
    r = rng.uniform(*large) if it["size"] == "large" else rng.uniform(5.5, 7)
    placed = []
    for _ in range(n):
        for _try in range(1000):
            cx, cy = rng.uniform(r + 2, S - r - 2), rng.uniform(r + 2, S - r - 2)
            if all((cx - px) ** 2 + (cy - py) ** 2 > (2.15 * r) ** 2 for px, py in placed):
                break
        else:
            raise RuntimeError(f"render_image: no room for {n} shapes of radius {r:.1f}")
        placed.append((cx, cy))
        draw_shape(d, it["shape"], cx * up, cy * up, r * up, _jitter(rng, COLOURS[it["colour"]]))
    return np.asarray(im.resize((S, S), Image.LANCZOS), dtype=np.uint8)


def render_video(it):
    """VIDEO_FRAMES x 32 x 32 x 3 uint8: one shape crossing the frame in its direction."""
    rng = random.Random(it["seed"])
    S, up, T = VIDEO_SIZE, 4, VIDEO_FRAMES
    bg = _jitter(rng, BACKGROUNDS[it["background"]], 8)
    fill = _jitter(rng, COLOURS[it["colour"]])
    r = rng.uniform(5, 7)
    lo, hi = r + 1, S - r - 1
    other = rng.uniform(lo + 2, hi - 2)
    span = rng.uniform(0.75, 1.0) * (hi - lo)
    start = rng.uniform(lo, hi - span)
    frames = []
    for t in range(T):
        p = start + span * t / (T - 1)
        dirn = it["direction"]
        if dirn == "right":
            cx, cy = p, other
        elif dirn == "left":
            cx, cy = S - p, other
        elif dirn == "down":
            cx, cy = other, p
        else:
            cx, cy = other, S - p
        im = Image.new("RGB", (S * up, S * up), bg)
        draw_shape(ImageDraw.Draw(im), it["shape"], cx * up, cy * up, r * up, fill)
        frames.append(np.asarray(im.resize((S, S), Image.LANCZOS), dtype=np.uint8))
    return np.stack(frames)


def _fit(x):
    x = np.asarray(x, dtype=np.float32)
    out = np.zeros(AUDIO_SAMPLES, np.float32)
    n = min(len(x), AUDIO_SAMPLES)
    out[:n] = x[:n]
    return out


def _sox(args):
    """sox -n ... synth: float32 samples at SAMPLE_RATE.  -R (repeatable mode) seeds sox's noise
    generators with a fixed number; without it every call draws new noise."""
    with tempfile.TemporaryDirectory() as td:
        p = os.path.join(td, "a.raw")
        subprocess.run(["sox", "-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "32", "-e", "floating-point",
                        "-t", "raw", p] + args, check=True, capture_output=True)
        return np.fromfile(p, dtype=np.float32)


def render_audio(it):
    """AUDIO_SAMPLES float32 at 16 kHz, peak about 0.3 (quiet) or 0.7 (loud)."""
    rng = random.Random(it["seed"])
    k = it["kind"]
    if k == "speech":
        with tempfile.TemporaryDirectory() as td:
            w = os.path.join(td, "s.wav")
            r = os.path.join(td, "s.raw")
            subprocess.run(["espeak-ng", "-v", it["voice"], "-s", str(it["speed"]), "-p", str(it["pitch"]),
                            "-w", w, it["word"]], check=True, capture_output=True)
            subprocess.run(["sox", w, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "32", "-e", "floating-point",
                            "-t", "raw", r, "silence", "1", "0.01", "0.5%"], check=True, capture_output=True)
            x = np.fromfile(r, dtype=np.float32)
        x = x / (np.abs(x).max() + 1e-6) * rng.uniform(0.5, 0.8)
        lead = rng.randint(0, 1600)
        return _fit(np.concatenate([np.zeros(lead, np.float32), x]))
    amp = rng.uniform(0.25, 0.35) if it["loud"] == "quiet" else rng.uniform(0.6, 0.75)
    if k == "tone":
        f = 440.0 * 2 ** (NOTE_SEMITONE[it["note"]] / 12 + (it["octave"] - 4))
        dur = rng.uniform(0.7, AUDIO_SECONDS)
        x = _sox(["synth", f"{dur:.3f}", it["timbre"], f"{f:.3f}", "fade", "q", "0.02", f"{dur:.3f}", "0.05"])
    else:  # a window of one fixed sox noise recording per colour, placed by the item's seed
        src = _noise_source(it["noise"])
        start = rng.randrange(len(src) - AUDIO_SAMPLES + 1)
        x = src[start:start + AUDIO_SAMPLES]
    x = x / (np.abs(x).max() + 1e-6) * amp
    return _fit(x)


_NOISE_SECONDS = 16
_noise_cache = {}


def _noise_source(colour):
    """_NOISE_SECONDS of sox's white/pink/brown noise in repeatable mode (memoised)."""
    if colour not in _noise_cache:
        _noise_cache[colour] = _sox(["synth", str(_NOISE_SECONDS), colour + "noise"])
    return _noise_cache[colour]


def note_frequency(note, octave):
    return 440.0 * 2 ** (NOTE_SEMITONE[note] / 12 + (octave - 4))


# --------------------------------------------------------------------------------------------
# questions and answers about an input item (encoder-side alignment and instruction tuning)

def qa_pairs(it, rng):
    """[(question, answer)] about one item; the first is the generic description."""
    k = it["kind"]
    c = caption(it)
    out = []
    if k == "image":
        out.append((rng.choice(["What is in this image?", "Describe the picture.", "What do you see?"]),
                    f"The image shows {c}."))
        n = it["count"]
        noun = it["shape"] if n == 1 else PLURAL[it["shape"]]
        out.append(("What shape is in the image?", f"The shape is a {it['shape']}." if n == 1
                    else f"The shapes are {PLURAL[it['shape']]}."))
        out.append(("What colour is it?", f"It is {it['colour']}."))
        out.append(("How many shapes are there?", f"There {'is' if n == 1 else 'are'} {COUNTS[n]} {noun}."))
    elif k == "video":
        out.append((rng.choice(["What happens in this video?", "Describe the video.", "What do you see?"]),
                    f"The video shows {c}."))
        out.append(("Which way does it move?", f"It moves {it['direction']}."))
        out.append(("What colour is it?", f"It is {it['colour']}."))
        out.append(("What shape is in the video?", f"The shape is a {it['shape']}."))
    else:
        out.append((rng.choice(["What do you hear?", "Describe the sound.", "What is this sound?"]),
                    f"The sound is {c}."))
        if k == "speech":
            out.append(("Which word is spoken?", f"The word is {it['word']}."))
        elif k == "tone":
            out.append(("Which note is it?", f"The note is {it['note']}."))
        else:
            out.append(("What kind of noise is it?", f"It is {it['noise']} noise."))
    return out


MEDIA_TAG = {"image": "image", "video": "video", "speech": "audio", "tone": "audio", "noise": "audio"}

ASK = {
    "image": ["Draw {c}.", "Show me a picture of {c}.", "Can you make an image of {c}?", "Paint {c}."],
    "video": ["Make a video of {c}.", "Show me a clip of {c}.", "Animate {c}."],
    "audio": ["Play {c}.", "Let me hear {c}.", "Make a sound of {c}."],
}
ANSWER = {"image": "Here is a picture of {c}.", "video": "Here is a video of {c}.", "audio": "Here is {c}."}
TEXT_ONLY = [
    ("What shapes do you know?", "I know circles, squares, triangles and stars."),
    ("What colours do you know?", "I know red, green, blue, yellow and purple."),
    ("Which words can you say?", "I can say hello, yes, no, cat, dog and stop."),
    ("Which notes can you play?", "I can play the notes C, D, E, F, G, A and B."),
    ("Hello!", "Hello! I can describe and make pictures, sounds and videos."),
    ("What can you do?", "I can describe and make pictures, sounds and videos."),
    ("Describe a red circle in words.", "A red circle is a round red shape."),
    ("Tell me about a blue square without drawing it.", "A blue square has four equal sides and is blue."),
    ("What is a star?", "A star is a shape with five points."),
    ("Thank you.", "You are welcome."),
]

# More text-only small talk, drawn beside TEXT_ONLY by dialogues.text_turn (LLM pretraining and the
# NExT-GPT stages): it teaches that a greeting or a question about the assistant is answered in
# words, without a signal span.  (The evaluation's held-out text-only prompts, tools/demo/make_eval_set.py, are
# none of these.)
SMALL_TALK = [
    ("Hey!", "Hello! I can describe and make pictures, sounds and videos."),
    ("Good morning.", "Good morning! I can describe and make pictures, sounds and videos."),
    ("Hello, friend.", "Hello! I can describe and make pictures, sounds and videos."),
    ("Greetings.", "Hello! I can describe and make pictures, sounds and videos."),
    ("Nice to meet you.", "Nice to meet you too."),
    ("How are you?", "I am fine, thank you."),
    ("Thanks a lot.", "You are welcome."),
    ("Great, thanks.", "You are welcome."),
    ("Can you help me?", "Yes. I can describe and make pictures, sounds and videos."),
    ("Tell me about yourself.", "I am an assistant for pictures, sounds and videos."),
    ("Goodbye.", "Goodbye!"),
    ("Do you like shapes?", "Yes, I know circles, squares, triangles and stars."),
]


def generation_request(rng, modality):
    """(request text, answer text, target item) asking for one generated output."""
    it = {"image": sample_image, "video": sample_video, "audio": sample_audio}[modality](rng)
    c = short_caption(it)
    return rng.choice(ASK[modality]).format(c=c), ANSWER[modality].format(c=c), it
