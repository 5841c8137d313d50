//! Tests of the Rust wrapper against libhotloop (run by tests/install/test_install.sh).
use hotloop_example::*;

#[test]
fn library_matches_these_declarations() {
    assert_eq!(abi_version(), ABI_VERSION);
    assert!(version().starts_with("0."));
}

#[test]
fn sum_is_exact_beyond_64_bits() {
    let values: Vec<i64> = (0..100_000).collect();
    assert_eq!(sum(&values).unwrap(), 99_999 * 100_000 / 2);
    assert_eq!(sum(&[i64::MAX; 4]).unwrap(), 4 * i64::MAX as i128);
    assert_eq!(sum(&[i64::MIN, -1]).unwrap(), i64::MIN as i128 - 1);
    assert_eq!(sum(&[]).unwrap(), 0);
}

#[test]
fn process_numbers_matches_filter_map() {
    let values: Vec<i64> = (-5_000..200_000).map(|x| (x * 7919) % 100_003).collect();
    let expected: Vec<i64> = values.iter().filter(|&&x| x > 50_000).map(|&x| x * 2).collect();
    assert_eq!(process_numbers(&values, 50_000).unwrap(), expected);
    assert!(process_numbers(&values, i64::MAX).unwrap().is_empty());
}

#[test]
fn overflow_is_an_error_not_a_wrapped_number() {
    let err = process_numbers(&[i64::MAX / 2 + 1], 0).unwrap_err();
    assert_eq!(err.name, "HL_ERR_OVERFLOW");
}

#[test]
fn divide_by_zero_reports_status_and_message() {
    assert_eq!(divide(10.0, 4.0).unwrap(), 2.5);
    let err = divide(1.0, 0.0).unwrap_err();
    assert_eq!(err.name, "HL_ERR_DIVISION_BY_ZERO");
    assert_eq!(err.message, "Cannot divide by zero");
}

#[test]
fn processor_chunks_and_statistics() {
    let mut p = Processor::new(3).unwrap();
    p.add_data(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
    let (count, mean, std) = p.statistics().unwrap();
    assert_eq!((count, mean), (7, 4.0));
    assert!((std - 2.0).abs() < 1e-12);
    assert_eq!(p.process_chunks().unwrap(), vec![2.0, 5.0]);
    assert_eq!(p.statistics().unwrap(), (1, 7.0, 0.0));
    assert_eq!(Processor::new(0).err().unwrap().name, "HL_ERR_INVALID_ARGUMENT");
}

#[test]
fn processors_work_from_several_threads() {
    let handles: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut p = Processor::new(10).unwrap();
                let data: Vec<f64> = (0..1000).map(|i| (i + t) as f64).collect();
                p.add_data(&data).unwrap();
                p.process_chunks().unwrap().len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 100);
    }
}
