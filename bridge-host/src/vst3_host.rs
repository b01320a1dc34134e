//! A minimal VST3 host on the `vst3` crate's interfaces: loads a `.vst3`
//! bundle's library, calls `ModuleEntry`, creates the "Audio Module Class",
//! sets up stereo 32-bit processing, delivers MIDI CCs the VST3 way (through
//! the controller's `IMidiMapping` into parameter changes) and saves/loads state
//! through an in-memory `IBStream`. All of this crate's raw-pointer work is here.

use std::cell::{Cell, RefCell};
use std::ffi::{c_void, CStr};
use std::path::Path;
use std::ptr;

use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComWrapper, Interface};

use crate::{CcMessage, HostedPlugin};

/// A loaded VST3 plugin instance.
pub struct Vst3Plugin {
    component: Option<ComPtr<IComponent>>,
    processor: Option<ComPtr<IAudioProcessor>>,
    midi_mapping: Option<ComPtr<IMidiMapping>>,
    library: Option<libloading::Library>,
    active: bool,
    input: [Vec<f32>; 2],
}

type ModuleEntry = unsafe extern "C" fn(*mut c_void) -> bool;
type ModuleExit = unsafe extern "C" fn() -> bool;
type GetPluginFactory = unsafe extern "system" fn() -> *mut IPluginFactory;

impl Vst3Plugin {
    /// Loads the first audio module class of a `.vst3` bundle folder.
    pub fn load(bundle: &Path) -> Result<Self, String> {
        let name = bundle.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let path = bundle.join("Contents/x86_64-linux").join(format!("{name}.so"));
        let fail = |what: &str| format!("{}: {what}", path.display());
        // SAFETY: the library is the plugin under test; its exported symbols have the VST3 signatures.
        unsafe {
            let library = libloading::Library::new(&path).map_err(|e| fail(&format!("cannot load: {e}")))?;
            let entry: libloading::Symbol<ModuleEntry> =
                library.get(b"ModuleEntry\0").map_err(|_| fail("no ModuleEntry (required on Linux)"))?;
            if !entry(ptr::null_mut()) {
                return Err(fail("ModuleEntry returned false"));
            }
            let get_factory: libloading::Symbol<GetPluginFactory> =
                library.get(b"GetPluginFactory\0").map_err(|_| fail("no GetPluginFactory"))?;
            let factory =
                ComPtr::from_raw(get_factory()).ok_or_else(|| fail("GetPluginFactory returned null"))?;
            let mut cid = None;
            for index in 0..factory.countClasses() {
                let mut info: PClassInfo = std::mem::zeroed();
                if factory.getClassInfo(index, &mut info) == kResultOk
                    && CStr::from_ptr(info.category.as_ptr()).to_bytes() == b"Audio Module Class"
                {
                    cid = Some(info.cid);
                    break;
                }
            }
            let cid = cid.ok_or_else(|| fail("no \"Audio Module Class\""))?;
            let component: ComPtr<IComponent> =
                create(&factory, &cid).ok_or_else(|| fail("createInstance failed"))?;
            if component.initialize(ptr::null_mut()) != kResultOk {
                return Err(fail("initialize failed"));
            }
            let processor = component.cast::<IAudioProcessor>().ok_or_else(|| fail("no IAudioProcessor"))?;
            let mut controller_cid: TUID = [0; 16];
            let controller: Option<ComPtr<IEditController>> =
                if component.getControllerClassId(&mut controller_cid) == kResultOk {
                    let controller: Option<ComPtr<IEditController>> = create(&factory, &controller_cid);
                    if let Some(c) = &controller {
                        c.initialize(ptr::null_mut());
                    }
                    controller
                } else {
                    component.cast::<IEditController>()
                };
            let controller =
                controller.ok_or_else(|| fail("no edit controller (hosts crash without one)"))?;
            let midi_mapping = controller.cast::<IMidiMapping>();
            Ok(Self {
                component: Some(component),
                processor: Some(processor),
                midi_mapping,
                library: Some(library),
                active: false,
                input: [Vec::new(), Vec::new()],
            })
        }
    }

    fn parts(&self) -> Result<(&ComPtr<IComponent>, &ComPtr<IAudioProcessor>), String> {
        match (&self.component, &self.processor) {
            (Some(c), Some(p)) => Ok((c, p)),
            _ => Err("plugin already released".into()),
        }
    }
}

/// `createInstance` for interface `I`.
unsafe fn create<I: Interface>(factory: &ComPtr<IPluginFactory>, cid: &TUID) -> Option<ComPtr<I>> {
    let mut object = ptr::null_mut();
    let result = factory.createInstance(cid.as_ptr(), I::IID.as_ptr() as FIDString, &mut object);
    if result == kResultOk {
        ComPtr::from_raw(object as *mut I)
    } else {
        None
    }
}

impl HostedPlugin for Vst3Plugin {
    fn activate(&mut self, sample_rate: f64, max_block: u32) -> Result<(), String> {
        self.deactivate();
        let (component, processor) = self.parts()?;
        // SAFETY: all pointers passed are to live locals.
        unsafe {
            let (mut input, mut output) = (SpeakerArr::kStereo, SpeakerArr::kStereo);
            if processor.setBusArrangements(&mut input, 1, &mut output, 1) != kResultTrue {
                return Err("stereo in/out was refused".into());
            }
            let mut setup = ProcessSetup {
                processMode: ProcessModes_::kRealtime as int32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                maxSamplesPerBlock: max_block as int32,
                sampleRate: sample_rate,
            };
            if processor.setupProcessing(&mut setup) != kResultOk {
                return Err("setupProcessing failed".into());
            }
            for (media, dir) in [
                (MediaTypes_::kAudio, BusDirections_::kInput),
                (MediaTypes_::kAudio, BusDirections_::kOutput),
                (MediaTypes_::kEvent, BusDirections_::kInput),
            ] {
                component.activateBus(media as MediaType, dir as BusDirection, 0, 1);
            }
            if component.setActive(1) != kResultOk {
                return Err("setActive failed".into());
            }
            processor.setProcessing(1);
        }
        self.active = true;
        self.input = [Vec::with_capacity(max_block as usize), Vec::with_capacity(max_block as usize)];
        Ok(())
    }

    fn deactivate(&mut self) {
        if !self.active {
            return;
        }
        if let Ok((component, processor)) = self.parts() {
            // SAFETY: plain calls on live interfaces.
            unsafe {
                processor.setProcessing(0);
                component.setActive(0);
            }
        }
        self.active = false;
    }

    fn process(
        &mut self,
        input: [&[f32]; 2],
        output: [&mut [f32]; 2],
        ccs: &[CcMessage],
    ) -> Result<(), String> {
        if !self.active {
            return Err("process before activate".into());
        }
        let n = input[0].len();
        for (buffer, samples) in self.input.iter_mut().zip(input) {
            buffer.clear();
            buffer.extend_from_slice(samples);
        }
        let changes = self.parameter_changes(ccs);
        let processor = self.processor.clone().ok_or("plugin already released")?;
        let [in_left, in_right] = &mut self.input;
        let [out_left, out_right] = output;
        let mut input_pointers = [in_left.as_mut_ptr(), in_right.as_mut_ptr()];
        let mut output_pointers = [out_left.as_mut_ptr(), out_right.as_mut_ptr()];
        let mut input_bus = AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 { channelBuffers32: input_pointers.as_mut_ptr() },
        };
        let mut output_bus = AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 { channelBuffers32: output_pointers.as_mut_ptr() },
        };
        let changes_ptr = changes.as_ref().map_or(ptr::null_mut(), |c| c.as_ptr());
        let mut data = ProcessData {
            processMode: ProcessModes_::kRealtime as int32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            numSamples: n as int32,
            numInputs: 1,
            numOutputs: 1,
            inputs: &mut input_bus,
            outputs: &mut output_bus,
            inputParameterChanges: changes_ptr,
            outputParameterChanges: ptr::null_mut(),
            inputEvents: ptr::null_mut(),
            outputEvents: ptr::null_mut(),
            processContext: ptr::null_mut(),
        };
        // SAFETY: every pointer in `data` points to a local that outlives the call.
        let result = unsafe { processor.process(&mut data) };
        if result == kResultOk {
            Ok(())
        } else {
            Err(format!("process returned {result}"))
        }
    }

    fn save_state(&mut self) -> Result<Vec<u8>, String> {
        let (component, _) = self.parts()?;
        let stream = ComWrapper::new(MemoryStream::default());
        let pointer = stream.to_com_ptr::<IBStream>().ok_or("no IBStream")?;
        // SAFETY: the stream lives until after the call.
        if unsafe { component.getState(pointer.as_ptr()) } != kResultOk {
            return Err("getState failed".into());
        }
        let bytes = stream.data.borrow().clone();
        Ok(bytes)
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), String> {
        let (component, _) = self.parts()?;
        let stream =
            ComWrapper::new(MemoryStream { data: RefCell::new(bytes.to_vec()), position: Cell::new(0) });
        let pointer = stream.to_com_ptr::<IBStream>().ok_or("no IBStream")?;
        // SAFETY: the stream lives until after the call.
        match unsafe { component.setState(pointer.as_ptr()) } {
            result if result == kResultOk => Ok(()),
            result => Err(format!("setState returned {result}")),
        }
    }
}

impl Vst3Plugin {
    /// The block's CCs as parameter changes, mapped through the controller's `IMidiMapping`.
    fn parameter_changes(&self, ccs: &[CcMessage]) -> Option<ComPtr<IParameterChanges>> {
        let mapping = self.midi_mapping.as_ref()?;
        let mut queues: Vec<ParameterQueue> = Vec::new();
        for cc in ccs {
            let mut id: ParamID = 0;
            // SAFETY: `id` is a live local.
            let mapped = unsafe {
                mapping.getMidiControllerAssignment(0, cc.channel as int16, cc.cc as CtrlNumber, &mut id)
            } == kResultTrue;
            if !mapped {
                continue;
            }
            let point = (cc.offset as int32, f64::from(cc.value) / 127.0);
            match queues.iter_mut().find(|q| q.id == id) {
                Some(queue) => queue.points.push(point),
                None => queues.push(ParameterQueue { id, points: vec![point] }),
            }
        }
        if queues.is_empty() {
            return None;
        }
        let queues =
            queues.into_iter().filter_map(|q| ComWrapper::new(q).to_com_ptr::<IParamValueQueue>()).collect();
        ComWrapper::new(ParameterChanges { queues }).to_com_ptr::<IParameterChanges>()
    }
}

impl Drop for Vst3Plugin {
    fn drop(&mut self) {
        self.deactivate();
        if let Some(component) = self.component.take() {
            // SAFETY: plain call on a live interface; released right after.
            unsafe { component.terminate() };
        }
        self.processor = None;
        self.midi_mapping = None;
        if let Some(library) = self.library.take() {
            // SAFETY: the module exit point of the library loaded in `load`; every interface is released.
            unsafe {
                if let Ok(exit) = library.get::<ModuleExit>(b"ModuleExit\0") {
                    exit();
                }
            }
        }
    }
}

/// One parameter's points for a block.
struct ParameterQueue {
    id: ParamID,
    points: Vec<(int32, f64)>,
}

impl Class for ParameterQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParameterQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.len() as int32
    }

    unsafe fn getPoint(&self, index: int32, offset: *mut int32, value: *mut ParamValue) -> tresult {
        match (
            usize::try_from(index).ok().and_then(|i| self.points.get(i)),
            offset.is_null() || value.is_null(),
        ) {
            (Some(&(o, v)), false) => {
                *offset = o;
                *value = v;
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addPoint(&self, _offset: int32, _value: ParamValue, _index: *mut int32) -> tresult {
        kResultFalse
    }
}

/// All parameter queues of a block.
struct ParameterChanges {
    queues: Vec<ComPtr<IParamValueQueue>>,
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        usize::try_from(index).ok().and_then(|i| self.queues.get(i)).map_or(ptr::null_mut(), |q| q.as_ptr())
    }

    unsafe fn addParameterData(&self, _id: *const ParamID, _index: *mut int32) -> *mut IParamValueQueue {
        ptr::null_mut()
    }
}

/// An in-memory `IBStream` for saved state.
#[derive(Default)]
struct MemoryStream {
    data: RefCell<Vec<u8>>,
    position: Cell<usize>,
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, bytes: int32, read: *mut int32) -> tresult {
        if buffer.is_null() || bytes < 0 {
            return kInvalidArgument;
        }
        let data = self.data.borrow();
        let start = self.position.get().min(data.len());
        let count = (bytes as usize).min(data.len() - start);
        ptr::copy_nonoverlapping(data[start..].as_ptr(), buffer.cast::<u8>(), count);
        self.position.set(start + count);
        if !read.is_null() {
            *read = count as int32;
        }
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, bytes: int32, written: *mut int32) -> tresult {
        if buffer.is_null() || bytes < 0 {
            return kInvalidArgument;
        }
        let incoming = std::slice::from_raw_parts(buffer.cast::<u8>(), bytes as usize);
        let mut data = self.data.borrow_mut();
        let start = self.position.get();
        if data.len() < start + incoming.len() {
            data.resize(start + incoming.len(), 0);
        }
        data[start..start + incoming.len()].copy_from_slice(incoming);
        self.position.set(start + incoming.len());
        if !written.is_null() {
            *written = bytes;
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let len = self.data.borrow().len() as int64;
        let base = match mode as IBStream_::IStreamSeekMode {
            IBStream_::IStreamSeekMode_::kIBSeekSet => 0,
            IBStream_::IStreamSeekMode_::kIBSeekCur => self.position.get() as int64,
            IBStream_::IStreamSeekMode_::kIBSeekEnd => len,
            _ => return kInvalidArgument,
        };
        let target = (base + pos).clamp(0, len);
        self.position.set(target as usize);
        if !result.is_null() {
            *result = target;
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        *pos = self.position.get() as int64;
        kResultOk
    }
}
