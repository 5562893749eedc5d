fn main() -> std::process::ExitCode {
    // Exit quietly when stdout is closed early (`pressrun status | head`),
    // as other command-line tools do, instead of failing on a write.
    // SAFETY: setting a signal disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    pressrun::cli::main()
}
