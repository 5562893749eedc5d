fn main() -> std::process::ExitCode {
    pressrun::cli::main()
}
