use super::*;

pub(crate) fn tiny_config() -> ConfigRecord {
    ConfigRecord {
        schema_version: 1,
        search_space: "d".into(),
        encoding: "c".into(),
        objective: "o".into(),
        hyper_parameters: vec![("k".into(), "v".into())],
        seed: 1,
        data_digest: Hash::from_bytes([0; 32]),
        backend: "b".into(),
    }
}

pub(crate) fn sample_trial(index: u64, parent: Hash, status: TrialStatus) -> TrialRecord {
    TrialRecord {
        index,
        parent,
        genotype: "Genotype(normal=[...])".into(),
        genotype_hash: blake3::hash(b"genotype"),
        choices: vec![0, 7, 3, 300],
        streams: vec!["7/propose/0/random".into()],
        epoch_losses: vec![Exact::from_f32(6.25), Exact::from_f64(-0.1)],
        objective: Some(Exact::from_f32(5.5)),
        weights_digest: Some(blake3::hash(b"weights")),
        status,
    }
}

#[test]
fn records_round_trip_through_their_bytes() {
    let statuses = [
        TrialStatus::Ok,
        TrialStatus::Diverged {
            reason: "loss is NaN at epoch 3".into(),
        },
        TrialStatus::Failed {
            reason: "out of memory".into(),
        },
    ];
    let mut records = vec![Record::Config(tiny_config())];
    for s in statuses {
        let mut t = sample_trial(4, blake3::hash(b"p"), s);
        records.push(Record::Trial(t.clone()));
        t.objective = None;
        t.weights_digest = None;
        records.push(Record::Trial(t));
    }
    for r in records {
        assert_eq!(Record::from_bytes(&r.to_bytes()).unwrap(), r);
    }
}

#[test]
fn config_bytes_match_a_hand_encoding() {
    // RFC 8949 by hand:
    //   89                     array(9)
    //   6c "csnas/config"      text(12)
    //   01                     schema_version 1
    //   61 64 / 61 63 / 61 6f  "d", "c", "o"
    //   81 82 61 6b 61 76      [["k", "v"]]
    //   01                     seed 1
    //   58 20 00.. (32)        bytes(32), the zero digest
    //   61 62                  "b"
    let mut want = vec![0x89, 0x6c];
    want.extend(b"csnas/config");
    want.extend([0x01, 0x61, b'd', 0x61, b'c', 0x61, b'o']);
    want.extend([0x81, 0x82, 0x61, b'k', 0x61, b'v', 0x01, 0x58, 0x20]);
    want.extend([0; 32]);
    want.extend([0x61, b'b']);
    let r = Record::Config(tiny_config());
    assert_eq!(r.to_bytes(), want);
    // Stability pin: blake3 of the bytes above. It changes only if the schema
    // does, and then SCHEMA_VERSION must change too.
    assert_eq!(r.hash(), blake3::hash(&want));
    assert_eq!(
        r.hash().to_hex().as_str(),
        "7056f4a9dfeda7022171e26a6b223f06404079710a9cb3a2e19e065b6ac1b9c9"
    );
}

#[test]
fn trial_bytes_use_shortest_integers_and_float_bits() {
    // The tail of a trial: objective [32, 0x40b00000] (5.5f32) is
    // 82 18 20 1a 40 b0 00 00; a null weights digest is f6; status Ok is 81 00.
    let mut t = sample_trial(0, Hash::from_bytes([0; 32]), TrialStatus::Ok);
    t.weights_digest = None;
    let bytes = Record::Trial(t).to_bytes();
    let tail = [
        0x82, 0x18, 0x20, 0x1a, 0x40, 0xb0, 0x00, 0x00, 0xf6, 0x81, 0x00,
    ];
    assert_eq!(bytes[bytes.len() - tail.len()..], tail);
    // index 0 right after the array head and the tag: 8b 6b "csnas/trial" 00.
    assert_eq!(bytes[..2], [0x8b, 0x6b]);
    assert_eq!(bytes[13], 0x00);
}

#[test]
fn non_canonical_spellings_are_refused() {
    let bytes = Record::Config(tiny_config()).to_bytes();
    // schema_version 1 written with a one-byte argument (18 01) instead of 01.
    let mut long = bytes[..14].to_vec();
    long.extend([0x18, 0x01]);
    long.extend(&bytes[15..]);
    let err = Record::from_bytes(&long).unwrap_err().to_string();
    assert!(err.contains("canonical"), "{err}");
    // Trailing garbage.
    let mut trailing = bytes.clone();
    trailing.push(0x00);
    assert!(Record::from_bytes(&trailing).is_err());
    // A truncated record.
    assert!(Record::from_bytes(&bytes[..bytes.len() - 1]).is_err());
}

#[test]
fn exact_floats_keep_every_bit() {
    for x in [0.1f64, -0.0, f64::NAN, f64::INFINITY, 1e-310] {
        assert_eq!(Exact::from_f64(x).to_f64().to_bits(), x.to_bits());
    }
    assert_eq!(Exact::from_f32(0.1f32).to_f64(), 0.1f32 as f64);
}
