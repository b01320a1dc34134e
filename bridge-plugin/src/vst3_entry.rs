//! The VST3 format: one COM class that is both processor and (empty) edit
//! controller, on the `vst3` crate's bindings. This is the only module of the
//! crate with its own `unsafe`: every VST3 method is an `unsafe fn` taking raw
//! pointers from the host, checked for null before use.
//!
//! Threading: the host calls `process` on its audio thread and everything else
//! on the main thread. The audio thread only ever `try_lock`s the capture slot
//! (it never waits; on contention the block passes through uncaptured); the
//! main thread locks it only in `setActive`/`setProcessing`, when the VST3
//! contract says no `process` call runs.

use std::ffi::{c_char, c_void};
use std::ptr;
use std::slice;
use std::sync::Mutex;

use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{uid, Class, ComRef, ComWrapper};

use crate::capture::{AudioCapture, CcEvent};
use crate::settings::Settings;
use crate::worker::Bridge;

/// The class id hosts save in projects: never change it.
const COMPONENT_CID: TUID = uid(0x7261636B, 0x6D617463, 0x68427269, 0x64676501);
/// CC 0–127 arrive as hidden parameters with these ids (VST3 maps MIDI CCs to parameters).
const CC_PARAMETERS: u32 = 128;
/// Largest saved state read back.
const MAX_STATE_BYTES: usize = 64 * 1024;

struct Component {
    bridge: Mutex<Bridge>,
    setup: Mutex<(f64, u32)>,
    capture: Mutex<Option<AudioCapture>>,
    cc_values: Mutex<[f64; CC_PARAMETERS as usize]>,
}

impl Class for Component {
    type Interfaces =
        (IComponent, IAudioProcessor, IProcessContextRequirements, IEditController, IMidiMapping);
}

impl Component {
    fn new() -> Self {
        Self {
            bridge: Mutex::new(Bridge::start(Settings::from_environment())),
            setup: Mutex::new((48_000.0, 4096)),
            capture: Mutex::new(None),
            cc_values: Mutex::new([0.0; CC_PARAMETERS as usize]),
        }
    }

    fn stop_capture(&self) {
        if let Ok(mut capture) = self.capture.lock() {
            if let Some(capture) = capture.as_mut() {
                capture.stop();
            }
        }
    }
}

fn copy_cstring(text: &str, dst: &mut [c_char]) {
    let capacity = dst.len().saturating_sub(1);
    for (d, s) in dst.iter_mut().zip(text.bytes().take(capacity)) {
        *d = s as c_char;
    }
    if let Some(end) = dst.get_mut(text.len().min(capacity)) {
        *end = 0;
    }
}

fn copy_wstring(text: &str, dst: &mut [TChar]) {
    let capacity = dst.len().saturating_sub(1);
    let mut len = 0;
    for (d, s) in dst.iter_mut().zip(text.encode_utf16().take(capacity)) {
        *d = s as TChar;
        len += 1;
    }
    if let Some(end) = dst.get_mut(len) {
        *end = 0;
    }
}

impl IPluginBaseTrait for Component {
    unsafe fn initialize(&self, _context: *mut FUnknown) -> tresult {
        kResultOk
    }

    unsafe fn terminate(&self) -> tresult {
        if let Ok(mut capture) = self.capture.lock() {
            *capture = None;
        }
        kResultOk
    }
}

impl IComponentTrait for Component {
    unsafe fn getControllerClassId(&self, _class_id: *mut TUID) -> tresult {
        // Single-component layout: the controller is this object.
        kNotImplemented
    }

    unsafe fn setIoMode(&self, _mode: IoMode) -> tresult {
        kResultOk
    }

    unsafe fn getBusCount(&self, media_type: MediaType, dir: BusDirection) -> int32 {
        match (media_type as MediaTypes, dir as BusDirections) {
            (MediaTypes_::kAudio, _) => 1,
            (MediaTypes_::kEvent, BusDirections_::kInput) => 1,
            _ => 0,
        }
    }

    unsafe fn getBusInfo(
        &self,
        media_type: MediaType,
        dir: BusDirection,
        index: int32,
        bus: *mut BusInfo,
    ) -> tresult {
        if bus.is_null() || index != 0 {
            return kInvalidArgument;
        }
        let bus = &mut *bus;
        let (channels, name) = match (media_type as MediaTypes, dir as BusDirections) {
            (MediaTypes_::kAudio, BusDirections_::kInput) => (2, "Input"),
            (MediaTypes_::kAudio, _) => (2, "Output"),
            (MediaTypes_::kEvent, BusDirections_::kInput) => (16, "MIDI CC in"),
            _ => return kInvalidArgument,
        };
        bus.mediaType = media_type;
        bus.direction = dir;
        bus.channelCount = channels;
        copy_wstring(name, &mut bus.name);
        bus.busType = BusTypes_::kMain as BusType;
        bus.flags = BusInfo_::BusFlags_::kDefaultActive;
        kResultOk
    }

    unsafe fn getRoutingInfo(&self, _in_info: *mut RoutingInfo, _out_info: *mut RoutingInfo) -> tresult {
        kNotImplemented
    }

    unsafe fn activateBus(
        &self,
        _media_type: MediaType,
        _dir: BusDirection,
        _index: int32,
        _state: TBool,
    ) -> tresult {
        kResultOk
    }

    unsafe fn setActive(&self, state: TBool) -> tresult {
        let Ok(mut capture) = self.capture.lock() else {
            return kResultFalse;
        };
        if let Some(old) = capture.as_mut() {
            old.stop();
        }
        *capture = None;
        if state != 0 {
            let (rate, max_block) = self.setup.lock().map(|s| *s).unwrap_or((48_000.0, 4096));
            if let Ok(mut bridge) = self.bridge.lock() {
                *capture = Some(bridge.new_session(rate, max_block));
            }
        }
        kResultOk
    }

    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        let Some(stream) = ComRef::from_raw(state) else {
            return kInvalidArgument;
        };
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        while bytes.len() < MAX_STATE_BYTES {
            let mut read: int32 = 0;
            let result = stream.read(chunk.as_mut_ptr().cast(), chunk.len() as int32, &mut read);
            if result != kResultOk || read <= 0 {
                break;
            }
            bytes.extend_from_slice(&chunk[..(read as usize).min(chunk.len())]);
        }
        match Settings::from_state(&bytes) {
            Ok(settings) => {
                if let Ok(mut bridge) = self.bridge.lock() {
                    bridge.apply_settings(settings);
                }
                kResultOk
            }
            Err(problem) => {
                crate::log(&problem);
                kResultFalse
            }
        }
    }

    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        let Some(stream) = ComRef::from_raw(state) else {
            return kInvalidArgument;
        };
        let Ok(bridge) = self.bridge.lock() else {
            return kResultFalse;
        };
        let mut bytes = bridge.settings().to_state();
        let mut written: int32 = 0;
        let result = stream.write(bytes.as_mut_ptr().cast(), bytes.len() as int32, &mut written);
        if result == kResultOk && written as usize == bytes.len() {
            kResultOk
        } else {
            kResultFalse
        }
    }
}

impl IAudioProcessorTrait for Component {
    unsafe fn setBusArrangements(
        &self,
        inputs: *mut SpeakerArrangement,
        num_ins: int32,
        outputs: *mut SpeakerArrangement,
        num_outs: int32,
    ) -> tresult {
        let stereo = num_ins == 1
            && num_outs == 1
            && !inputs.is_null()
            && !outputs.is_null()
            && *inputs == SpeakerArr::kStereo
            && *outputs == SpeakerArr::kStereo;
        if stereo {
            kResultTrue
        } else {
            kResultFalse
        }
    }

    unsafe fn getBusArrangement(
        &self,
        _dir: BusDirection,
        index: int32,
        arr: *mut SpeakerArrangement,
    ) -> tresult {
        if index != 0 || arr.is_null() {
            return kInvalidArgument;
        }
        *arr = SpeakerArr::kStereo;
        kResultOk
    }

    unsafe fn canProcessSampleSize(&self, symbolic_sample_size: int32) -> tresult {
        if symbolic_sample_size as SymbolicSampleSizes == SymbolicSampleSizes_::kSample32 {
            kResultTrue
        } else {
            kResultFalse
        }
    }

    unsafe fn getLatencySamples(&self) -> uint32 {
        0
    }

    unsafe fn setupProcessing(&self, setup: *mut ProcessSetup) -> tresult {
        if setup.is_null() {
            return kInvalidArgument;
        }
        let setup = &*setup;
        if let Ok(mut stored) = self.setup.lock() {
            *stored = (setup.sampleRate, setup.maxSamplesPerBlock.max(1) as u32);
        }
        kResultOk
    }

    unsafe fn setProcessing(&self, state: TBool) -> tresult {
        if state == 0 {
            self.stop_capture();
        }
        kResultOk
    }

    unsafe fn process(&self, data: *mut ProcessData) -> tresult {
        let Some(data) = data.as_ref() else {
            return kInvalidArgument;
        };
        if data.numSamples <= 0 {
            return kResultOk;
        }
        if data.symbolicSampleSize as SymbolicSampleSizes != SymbolicSampleSizes_::kSample32 {
            return kResultFalse;
        }
        let n = data.numSamples as usize;
        let input = if data.numInputs > 0 { data.inputs.as_ref() } else { None };
        let output = if data.numOutputs > 0 { data.outputs.as_mut() } else { None };
        let input_channels = input.map_or(&[][..], |bus| channel_pointers(bus));
        let (left, right) = match output {
            Some(bus) => {
                let output_channels = channel_pointers(bus);
                for (c, &out) in output_channels.iter().enumerate() {
                    match input_channels.get(c) {
                        Some(&inp) if !inp.is_null() && !out.is_null() && inp != out => {
                            ptr::copy(inp, out, n)
                        }
                        Some(_) => {}
                        None if !out.is_null() => ptr::write_bytes(out, 0, n),
                        None => {}
                    }
                }
                if let Some(input) = input {
                    bus.silenceFlags = input.silenceFlags;
                }
                stereo_view(output_channels, n)
            }
            None => stereo_view(input_channels, n),
        };
        let ccs = cc_events(data.inputParameterChanges);
        if let Ok(mut capture) = self.capture.try_lock() {
            if let Some(capture) = capture.as_mut() {
                capture.process(left, right, ccs);
            }
        }
        kResultOk
    }

    unsafe fn getTailSamples(&self) -> uint32 {
        0
    }
}

/// The bus's 32-bit channel pointers (empty when absent).
unsafe fn channel_pointers<'a>(bus: &AudioBusBuffers) -> &'a [*mut f32] {
    let pointers = bus.__field0.channelBuffers32;
    if pointers.is_null() || bus.numChannels <= 0 {
        &[]
    } else {
        slice::from_raw_parts(pointers, bus.numChannels as usize)
    }
}

/// Left and right of a block (mono feeds both; no channel gives empty slices).
unsafe fn stereo_view<'a>(channels: &[*mut f32], n: usize) -> (&'a [f32], &'a [f32]) {
    let view = |p: *mut f32| if p.is_null() { &[][..] } else { slice::from_raw_parts(p as *const f32, n) };
    match channels {
        [] => (&[], &[]),
        [mono] => (view(*mono), view(*mono)),
        [left, right, ..] => (view(*left), view(*right)),
    }
}

/// The CC parameters' changes in this block as CC events (channel unknown in VST3: 0).
unsafe fn cc_events(changes: *mut IParameterChanges) -> impl Iterator<Item = CcEvent> {
    let changes = ComRef::from_raw(changes);
    let queues = changes.as_ref().map_or(0, |c| c.getParameterCount().max(0));
    (0..queues).flat_map(move |q| {
        let queue = changes.and_then(|c| ComRef::from_raw(c.getParameterData(q)));
        let id = queue.as_ref().map_or(u32::MAX, |queue| queue.getParameterId());
        let points = if id < CC_PARAMETERS {
            queue.as_ref().map_or(0, |queue| queue.getPointCount().max(0))
        } else {
            0
        };
        (0..points).filter_map(move |p| {
            let queue = queue.as_ref()?;
            let (mut offset, mut value) = (0, 0.0);
            (queue.getPoint(p, &mut offset, &mut value) == kResultOk).then(|| CcEvent {
                offset: offset.max(0) as u32,
                channel: 0,
                cc: id as u8,
                value: (value.clamp(0.0, 1.0) * 127.0).round() as u8,
            })
        })
    })
}

impl IProcessContextRequirementsTrait for Component {
    unsafe fn getProcessContextRequirements(&self) -> uint32 {
        0
    }
}

impl IEditControllerTrait for Component {
    unsafe fn setComponentState(&self, _state: *mut IBStream) -> tresult {
        kResultOk
    }

    unsafe fn setState(&self, _state: *mut IBStream) -> tresult {
        kResultOk
    }

    unsafe fn getState(&self, _state: *mut IBStream) -> tresult {
        kResultOk
    }

    unsafe fn getParameterCount(&self) -> int32 {
        CC_PARAMETERS as int32
    }

    unsafe fn getParameterInfo(&self, index: int32, info: *mut ParameterInfo) -> tresult {
        if info.is_null() || !(0..CC_PARAMETERS as int32).contains(&index) {
            return kInvalidArgument;
        }
        let info = &mut *info;
        info.id = index as ParamID;
        copy_wstring(&format!("MIDI CC {index}"), &mut info.title);
        copy_wstring(&format!("CC{index}"), &mut info.shortTitle);
        copy_wstring("", &mut info.units);
        info.stepCount = 127;
        info.defaultNormalizedValue = 0.0;
        info.unitId = 0;
        info.flags = (ParameterInfo_::ParameterFlags_::kCanAutomate
            | ParameterInfo_::ParameterFlags_::kIsHidden) as int32;
        kResultOk
    }

    unsafe fn getParamStringByValue(
        &self,
        id: ParamID,
        value: ParamValue,
        string: *mut String128,
    ) -> tresult {
        if id >= CC_PARAMETERS || string.is_null() {
            return kInvalidArgument;
        }
        copy_wstring(&format!("{}", (value.clamp(0.0, 1.0) * 127.0).round()), &mut *string);
        kResultOk
    }

    unsafe fn getParamValueByString(
        &self,
        id: ParamID,
        string: *mut TChar,
        value: *mut ParamValue,
    ) -> tresult {
        if id >= CC_PARAMETERS || string.is_null() || value.is_null() {
            return kInvalidArgument;
        }
        let mut len = 0;
        while len < 128 && *string.add(len) != 0 {
            len += 1;
        }
        let text = String::from_utf16_lossy(slice::from_raw_parts(string.cast::<u16>(), len));
        match text.trim().parse::<f64>() {
            Ok(cc) if (0.0..=127.0).contains(&cc) => {
                *value = cc / 127.0;
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn normalizedParamToPlain(&self, _id: ParamID, value: ParamValue) -> ParamValue {
        value * 127.0
    }

    unsafe fn plainParamToNormalized(&self, _id: ParamID, plain: ParamValue) -> ParamValue {
        plain / 127.0
    }

    unsafe fn getParamNormalized(&self, id: ParamID) -> ParamValue {
        self.cc_values.lock().ok().and_then(|v| v.get(id as usize).copied()).unwrap_or(0.0)
    }

    unsafe fn setParamNormalized(&self, id: ParamID, value: ParamValue) -> tresult {
        match self.cc_values.lock() {
            Ok(mut values) if (id as usize) < values.len() => {
                values[id as usize] = value;
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn setComponentHandler(&self, _handler: *mut IComponentHandler) -> tresult {
        kResultOk
    }

    unsafe fn createView(&self, _name: FIDString) -> *mut IPlugView {
        ptr::null_mut()
    }
}

impl IMidiMappingTrait for Component {
    unsafe fn getMidiControllerAssignment(
        &self,
        bus_index: int32,
        _channel: int16,
        cc: CtrlNumber,
        id: *mut ParamID,
    ) -> tresult {
        if bus_index != 0 || id.is_null() || !(0..CC_PARAMETERS as CtrlNumber).contains(&cc) {
            return kResultFalse;
        }
        *id = cc as ParamID;
        kResultTrue
    }
}

struct Factory;

impl Class for Factory {
    type Interfaces = (IPluginFactory2,);
}

impl IPluginFactoryTrait for Factory {
    unsafe fn getFactoryInfo(&self, info: *mut PFactoryInfo) -> tresult {
        let Some(info) = info.as_mut() else {
            return kInvalidArgument;
        };
        copy_cstring("rackmatch", &mut info.vendor);
        copy_cstring("", &mut info.url);
        copy_cstring("", &mut info.email);
        info.flags = PFactoryInfo_::FactoryFlags_::kUnicode as int32;
        kResultOk
    }

    unsafe fn countClasses(&self) -> int32 {
        1
    }

    unsafe fn getClassInfo(&self, index: int32, info: *mut PClassInfo) -> tresult {
        let Some(info) = info.as_mut() else {
            return kInvalidArgument;
        };
        if index != 0 {
            return kInvalidArgument;
        }
        info.cid = COMPONENT_CID;
        info.cardinality = PClassInfo_::ClassCardinality_::kManyInstances as int32;
        copy_cstring("Audio Module Class", &mut info.category);
        copy_cstring(crate::PLUGIN_NAME, &mut info.name);
        kResultOk
    }

    unsafe fn createInstance(&self, cid: FIDString, iid: FIDString, obj: *mut *mut c_void) -> tresult {
        if obj.is_null() {
            return kInvalidArgument;
        }
        *obj = ptr::null_mut();
        if cid.is_null() || iid.is_null() || *(cid as *const TUID) != COMPONENT_CID {
            return kInvalidArgument;
        }
        let Some(instance) = ComWrapper::new(Component::new()).to_com_ptr::<FUnknown>() else {
            return kNoInterface;
        };
        let raw = instance.as_ptr();
        ((*(*raw).vtbl).queryInterface)(raw, iid as *const TUID, obj)
    }
}

impl IPluginFactory2Trait for Factory {
    unsafe fn getClassInfo2(&self, index: int32, info: *mut PClassInfo2) -> tresult {
        let Some(info) = info.as_mut() else {
            return kInvalidArgument;
        };
        if index != 0 {
            return kInvalidArgument;
        }
        info.cid = COMPONENT_CID;
        info.cardinality = PClassInfo_::ClassCardinality_::kManyInstances as int32;
        copy_cstring("Audio Module Class", &mut info.category);
        copy_cstring(crate::PLUGIN_NAME, &mut info.name);
        info.classFlags = 0;
        copy_cstring("Fx|Tools", &mut info.subCategories);
        copy_cstring("rackmatch", &mut info.vendor);
        copy_cstring(crate::PLUGIN_VERSION, &mut info.version);
        copy_cstring("VST 3.8.0", &mut info.sdkVersion);
        kResultOk
    }
}

/// Linux module entry point (required by the VST3 spec).
#[unsafe(no_mangle)]
extern "C" fn ModuleEntry(_library_handle: *mut c_void) -> bool {
    true
}

/// Linux module exit point.
#[unsafe(no_mangle)]
extern "C" fn ModuleExit() -> bool {
    true
}

/// The factory; each call hands the caller one reference.
#[unsafe(no_mangle)]
extern "system" fn GetPluginFactory() -> *mut IPluginFactory {
    ComWrapper::new(Factory).to_com_ptr::<IPluginFactory>().map_or(ptr::null_mut(), |f| f.into_raw())
}
