//! `cargo run --offline`: a short tour of libhotloop from Rust.
use hotloop_example::{divide, process_numbers, sum, version, Processor};

fn main() -> Result<(), hotloop_example::Error> {
    println!("hotloop {} from Rust", version());
    let values: Vec<i64> = (0..1_000_000).collect();
    println!("sum = {}", sum(&values)?);
    println!("process_numbers(.., 999_995) = {:?}", process_numbers(&values, 999_995)?);
    let mut p = Processor::new(3)?;
    p.add_data(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])?;
    println!("statistics = {:?}", p.statistics()?);
    println!("chunk means = {:?}", p.process_chunks()?);
    match divide(1.0, 0.0) {
        Ok(q) => println!("1 / 0 = {q}?!"),
        Err(e) => println!("1 / 0: {} ({})", e.message, e.name),
    }
    Ok(())
}
