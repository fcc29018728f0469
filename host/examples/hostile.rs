//! `hostile DIR`: writes the hostile inputs (see `groupgate_host::hostile`) into DIR.

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: hostile DIR");
        std::process::exit(2);
    };
    match groupgate_host::hostile::write(std::path::Path::new(&dir)) {
        Ok(names) => println!("{} inputs in {dir}", names.len()),
        Err(e) => {
            eprintln!("hostile: {dir}: {e}");
            std::process::exit(1);
        }
    }
}
