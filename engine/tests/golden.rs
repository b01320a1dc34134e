//! Golden renders: every output bit of ~400 varied voice renders is pinned by a hash.
//!
//! The engine's speed work must not change a single sample. This corpus renders
//! all 16 models under seeded random settings (knob extremes, FREQ ±4, V/OCT,
//! attenuverters, LEVEL, 0–4 triggers, 0.25–1 s) and, driving the voice block by
//! block, with CVs that move every block and MODEL CV switching engines. Each
//! render is reduced to a 64-bit FNV-1a hash of its int16 samples and compared
//! with `tests/data/golden_hashes.txt`, which was generated from the code before
//! any optimisation. Set `GOLDEN_REGENERATE=1` to rewrite the file after an
//! intentional change of the output (and say why in the commit).

use std::fmt::Write as _;
use std::path::PathBuf;

use rackmatch_engine::engines::{BLOCK_SIZE, ENGINE_COUNT};
use rackmatch_engine::{render_voice, Modulations, Patch, Voice, VoiceSettings};

/// Static-settings renders per model.
const STATIC_RENDERS_PER_MODEL: usize = 20;
/// Renders per model whose CVs change every block.
const MOVING_RENDERS_PER_MODEL: usize = 4;
/// Renders that switch engines through MODEL CV.
const SWITCHING_RENDERS: usize = 12;

/// SplitMix64: a tiny seeded generator, so the corpus never depends on a crate's
/// random-number algorithm.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn range(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.unit()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn chance(&mut self, p: f32) -> bool {
        self.unit() < p
    }

    /// A knob in [0, 1], at either end a quarter of the time.
    fn knob(&mut self) -> f32 {
        match self.below(8) {
            0 => 0.0,
            1 => 1.0,
            _ => self.unit(),
        }
    }

    /// An attenuverter in [-1, 1], at an end or at zero some of the time.
    fn attenuverter(&mut self) -> f32 {
        match self.below(8) {
            0 => -1.0,
            1 => 1.0,
            2 => 0.0,
            _ => self.range(-1.0, 1.0),
        }
    }
}

struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn add_sample(&mut self, sample: i16) {
        for byte in sample.to_le_bytes() {
            self.0 ^= byte as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The int16 sample behind a rendered value (`-s / 32768`, exact in f32).
fn unit_to_sample(x: f32) -> i16 {
    (-x * 32768.0) as i16
}

fn static_settings(model: usize, rng: &mut SplitMix) -> (VoiceSettings, usize) {
    let seconds = rng.range(0.25, 1.0);
    let frames = (seconds * 48_000.0) as usize;
    let trigger = match rng.below(4) {
        0 => None,
        _ => {
            let count = rng.below(5);
            Some((0..count).map(|_| rng.range(0.0, seconds) as f64).collect())
        }
    };
    let pitch_v = match rng.below(10) {
        0..=3 => 0.0,
        4 => rng.range(-10.0, 10.0),
        _ => rng.range(-3.0, 3.0),
    };
    let frequency = match rng.below(6) {
        0 => -4.0,
        1 => 4.0,
        _ => rng.range(-4.0, 4.0),
    };
    let settings = VoiceSettings {
        model,
        frequency,
        harmonics: rng.knob(),
        timbre: rng.knob(),
        morph: rng.knob(),
        lpg_colour: rng.knob(),
        lpg_decay: rng.knob(),
        timbre_cv: rng.attenuverter(),
        freq_cv: rng.attenuverter(),
        morph_cv: rng.attenuverter(),
        pitch_v,
        trigger,
        level: rng.chance(0.3).then(|| rng.range(-1.0, 10.0)),
    };
    (settings, frames)
}

fn static_render_hash(settings: &VoiceSettings, frames: usize) -> u64 {
    let mut output = vec![[0.0f32; 2]; frames];
    assert!(render_voice(settings, &mut output));
    let mut hash = Fnv1a::new();
    for frame in &output {
        hash.add_sample(unit_to_sample(frame[0]));
        hash.add_sample(unit_to_sample(frame[1]));
    }
    hash.0
}

/// A value that drifts by a random step each block and stays in [low, high].
struct Walk {
    value: f32,
    step: f32,
    low: f32,
    high: f32,
}

impl Walk {
    fn new(rng: &mut SplitMix, low: f32, high: f32, step: f32) -> Self {
        Self { value: rng.range(low, high), step, low, high }
    }

    fn advance(&mut self, rng: &mut SplitMix) -> f32 {
        self.value = (self.value + rng.range(-self.step, self.step)).clamp(self.low, self.high);
        self.value
    }
}

/// Renders `blocks` blocks with every CV jack patched (or not) and moving.
/// With `switching`, MODEL CV wanders over ±5 V so that the voice changes engines.
fn moving_render_hash(model: usize, rng: &mut SplitMix, switching: bool) -> u64 {
    let blocks = 1_000 + rng.below(1_000);
    let patch = Patch {
        note: 60.0 + rng.range(-48.0, 48.0),
        harmonics: rng.knob(),
        timbre: rng.knob(),
        morph: rng.knob(),
        frequency_modulation_amount: rng.attenuverter(),
        timbre_modulation_amount: rng.attenuverter(),
        morph_modulation_amount: rng.attenuverter(),
        engine: model,
        decay: rng.knob(),
        lpg_colour: rng.knob(),
    };
    let frequency_patched = rng.chance(0.6);
    let timbre_patched = rng.chance(0.6);
    let morph_patched = rng.chance(0.6);
    let trigger_patched = rng.chance(0.7);
    let level_patched = rng.chance(0.4);
    let mut note = Walk::new(rng, -24.0, 24.0, 2.0);
    let mut frequency = Walk::new(rng, -12.0, 12.0, 1.0);
    let mut harmonics = Walk::new(rng, -0.6, 0.6, 0.05);
    let mut timbre = Walk::new(rng, -0.7, 0.7, 0.05);
    let mut morph = Walk::new(rng, -0.7, 0.7, 0.05);
    let mut level = Walk::new(rng, -0.2, 1.2, 0.05);
    let mut engine_cv = Walk::new(rng, -1.0, 1.0, 0.02);
    let trigger_period = 40 + rng.below(400);
    let mut voice = Voice::new();
    let mut out = [0i16; BLOCK_SIZE];
    let mut aux = [0i16; BLOCK_SIZE];
    let mut hash = Fnv1a::new();
    for block in 0..blocks {
        let modulations = Modulations {
            engine: if switching { engine_cv.advance(rng) } else { 0.0 },
            note: note.advance(rng),
            frequency: frequency.advance(rng),
            harmonics: harmonics.advance(rng),
            timbre: timbre.advance(rng),
            morph: morph.advance(rng),
            trigger: if trigger_patched && block % trigger_period < 3 { 10.0 / 3.0 } else { 0.0 },
            level: if level_patched { level.advance(rng) } else { 0.0 },
            frequency_patched,
            timbre_patched,
            morph_patched,
            trigger_patched,
            level_patched,
        };
        voice.render(&patch, &modulations, &mut out, &mut aux);
        for (o, a) in out.iter().zip(&aux) {
            hash.add_sample(*o);
            hash.add_sample(*a);
        }
    }
    hash.0
}

/// Every render of the corpus as `(name, hash)`, in a fixed order.
fn corpus() -> Vec<(String, u64)> {
    let mut hashes = Vec::new();
    for model in 0..ENGINE_COUNT {
        let mut rng = SplitMix(0x5EED_0000 + model as u64);
        for i in 0..STATIC_RENDERS_PER_MODEL {
            let (settings, frames) = static_settings(model, &mut rng);
            hashes.push((format!("static-m{model:02}-{i:02}"), static_render_hash(&settings, frames)));
        }
        for i in 0..MOVING_RENDERS_PER_MODEL {
            hashes.push((format!("moving-m{model:02}-{i:02}"), moving_render_hash(model, &mut rng, false)));
        }
    }
    let mut rng = SplitMix(0x5717_C4E5);
    for i in 0..SWITCHING_RENDERS {
        let model = rng.below(ENGINE_COUNT);
        hashes.push((format!("switching-{i:02}"), moving_render_hash(model, &mut rng, true)));
    }
    hashes
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden_hashes.txt")
}

#[test]
fn renders_match_the_golden_hashes() {
    let hashes = corpus();
    let mut text = String::new();
    for (name, hash) in &hashes {
        writeln!(text, "{name} {hash:016x}").unwrap();
    }
    let path = golden_path();
    if std::env::var_os("GOLDEN_REGENERATE").is_some() {
        let temporary = path.with_extension("txt.tmp");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&temporary, &text).unwrap();
        std::fs::rename(&temporary, &path).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let differing: Vec<&str> = text
        .lines()
        .zip(expected.lines())
        .filter(|(ours, golden)| ours != golden)
        .map(|(ours, _)| ours.split(' ').next().unwrap())
        .collect();
    assert_eq!(text.lines().count(), expected.lines().count(), "corpus size changed");
    assert!(differing.is_empty(), "{} renders changed: {differing:?}", differing.len());
}
