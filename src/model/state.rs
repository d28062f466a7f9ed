//! State dicts: the network's parameters and buffers as named tensors, in
//! PyTorch `state_dict()` order with PyTorch names; loading them back with
//! strict checks; and a digest of the weights for the ledger.
//!
//! Why: checkpoints (safetensors) and the trial log both need one canonical,
//! ordered view of everything a network holds.

use super::layers::Entry;
use super::network::Network;
use super::{StateEntry, StateValue};
use crate::backend::{Backend, TensorRef};
use crate::error::Result;
use crate::invalid;
use crate::real::Real;
use std::borrow::Cow;
use std::collections::HashMap;

/// A read-only view of one state-dict entry's value, on the host.
pub enum StateRef<'a, T: Clone> {
    Float(Cow<'a, [T]>),
    Int(i64),
}

/// `(name, shape, host value)` for each state-dict entry, in PyTorch order.
pub type StateVisitor<'a, T> = dyn FnMut(String, &[usize], StateRef<'_, T>) + 'a;

impl<B: Backend> Network<B> {
    /// Visits every state-dict entry as `(name, shape, host value)`, in
    /// PyTorch order (parameters without their gradients).
    pub fn visit_state(&mut self, f: &mut StateVisitor<'_, B::Elem>) {
        let dev = self.device().clone();
        self.walk(&mut |name, e| {
            let t: TensorRef<'_, B> = match &e {
                Entry::Param { value, .. } => value.as_ref(),
                Entry::Buffer(b) => b.as_ref(),
                Entry::Counter(c) => return f(name, &[], StateRef::Int(**c)),
            };
            f(name, &t.shape(&dev), StateRef::Float(dev.host_slice(t)));
        });
    }

    /// Every parameter and buffer, in PyTorch `state_dict()` order, with PyTorch
    /// names and shapes (`num_batches_tracked` has shape `[]`).
    /// Every parameter as `(name, shape, value, gradient)`, on the host, in
    /// walk order (for gradient checks and golden comparisons).
    #[allow(clippy::type_complexity)]
    pub fn params_with_grads(&mut self) -> Vec<(String, Vec<usize>, Vec<B::Elem>, Vec<B::Elem>)> {
        let dev = self.device().clone();
        let mut out = Vec::new();
        self.walk(&mut |name, e| {
            if let Entry::Param { value, grad } = e {
                let shape = value.as_ref().shape(&dev);
                let v = dev.host_slice(value.as_ref()).into_owned();
                let g = dev.host_slice(grad.as_ref()).into_owned();
                out.push((name, shape, v, g));
            }
        });
        out
    }

    /// Overwrites the float entry (parameter or buffer) `name` with host
    /// values; returns whether it exists.
    pub fn set_entry(&mut self, name: &str, values: &[B::Elem]) -> bool {
        let dev = self.device().clone();
        let mut found = false;
        self.walk(&mut |n, e| {
            if n == name
                && let Entry::Param { value: dst, .. } | Entry::Buffer(dst) = e
            {
                dev.write_host(dst, values);
                found = true;
            }
        });
        found
    }

    pub fn state_dict(&mut self) -> Vec<StateEntry<B::Elem>> {
        let mut out = Vec::new();
        self.visit_state(&mut |name, shape, v| {
            let value = match v {
                StateRef::Float(s) => StateValue::Float(s.into_owned()),
                StateRef::Int(i) => StateValue::Int(vec![i]),
            };
            out.push(StateEntry {
                name,
                shape: shape.to_vec(),
                value,
            });
        });
        out
    }

    /// Loads a complete state dict (any order). Fails, changing nothing, on the
    /// first missing entry (in state-dict order), the first extra entry (in the
    /// given order), or the first entry whose shape or kind differs.
    pub fn load_state_dict(&mut self, entries: &[StateEntry<B::Elem>]) -> Result<()> {
        let mut given: HashMap<&str, &StateEntry<B::Elem>> = HashMap::with_capacity(entries.len());
        for e in entries {
            if given.insert(e.name.as_str(), e).is_some() {
                return Err(invalid!("state dict: duplicate entry {}", e.name));
            }
        }
        let expected = self.state_dict();
        for want in &expected {
            let Some(got) = given.get(want.name.as_str()) else {
                return Err(invalid!("state dict: missing entry {}", want.name));
            };
            if got.shape != want.shape {
                return Err(invalid!(
                    "state dict: {} has shape {:?}, the network needs {:?}",
                    want.name,
                    got.shape,
                    want.shape
                ));
            }
            let ok = match (&got.value, &want.value) {
                (StateValue::Float(a), StateValue::Float(b)) => a.len() == b.len(),
                (StateValue::Int(a), StateValue::Int(b)) => a.len() == b.len(),
                _ => false,
            };
            if !ok {
                return Err(invalid!(
                    "state dict: {} has the wrong kind or length of value",
                    want.name
                ));
            }
        }
        if entries.len() != expected.len() {
            let known: std::collections::HashSet<&str> =
                expected.iter().map(|e| e.name.as_str()).collect();
            let extra = entries
                .iter()
                .find(|e| !known.contains(e.name.as_str()))
                .expect("an extra entry");
            return Err(invalid!("state dict: unexpected entry {}", extra.name));
        }
        let dev = self.device().clone();
        self.walk(&mut |name, e| match (e, &given[name.as_str()].value) {
            (Entry::Param { value: dst, .. } | Entry::Buffer(dst), StateValue::Float(src)) => {
                dev.write_host(dst, src)
            }
            (Entry::Counter(dst), StateValue::Int(src)) => *dst = src[0],
            _ => unreachable!("kinds checked above"),
        });
        Ok(())
    }

    /// blake3 over the state dict: the tag `csnas-weights-v1`, then per entry in
    /// order: name length (u64 LE), name bytes, rank (u64 LE), each dim (u64 LE),
    /// then the values' exact little-endian bytes (`T` for floats, i64 for counters).
    pub fn weights_digest(&mut self) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        h.update(b"csnas-weights-v1");
        let mut buf = Vec::new();
        self.visit_state(&mut |name, shape, v| {
            buf.clear();
            buf.extend_from_slice(&(name.len() as u64).to_le_bytes());
            buf.extend_from_slice(name.as_bytes());
            buf.extend_from_slice(&(shape.len() as u64).to_le_bytes());
            for &d in shape {
                buf.extend_from_slice(&(d as u64).to_le_bytes());
            }
            match v {
                StateRef::Float(s) => s.iter().for_each(|x| x.write_le(&mut buf)),
                StateRef::Int(i) => buf.extend_from_slice(&i.to_le_bytes()),
            }
            h.update(&buf);
        });
        h.finalize()
    }

    /// Number of parameters (state-dict entries that are not buffers), with or
    /// without the auxiliary head's.
    pub fn parameter_count(&mut self, include_auxiliary: bool) -> usize {
        let mut n = 0;
        self.visit_state(&mut |name, shape, _| {
            let buffer = ["running_mean", "running_var", "num_batches_tracked"]
                .iter()
                .any(|b| name.ends_with(b));
            if !buffer && (include_auxiliary || !name.starts_with("auxiliary_head.")) {
                n += shape.iter().product::<usize>();
            }
        });
        n
    }
}
