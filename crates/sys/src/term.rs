//! The terminal of a full-screen program (cgtop's interactive screen): raw mode and the
//! alternate screen, given back exactly as found when the program ends, whether it quits, is
//! killed by SIGINT, SIGTERM or SIGHUP, or is suspended (SIGTSTP) and continued; the window
//! size and its changes (SIGWINCH); keys, waited for with a timeout and decoded from the escape
//! sequences terminals send.
//!
//! Signals come through a signalfd polled next to the input, so nothing runs in a signal
//! handler: a signal that ends the program is read like a key, the terminal is restored, and
//! the program then dies of that same signal (the shell sees what it expects).

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};

use crate::error::{Error, Result};

/// Switch to the alternate screen, hide the cursor, clear.
const ENTER_SCREEN: &str = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
/// Show the cursor, back to the normal screen (whose content the terminal kept).
const LEAVE_SCREEN: &str = "\x1b[?25h\x1b[?1049l";

/// How long the rest of an escape sequence may take to arrive after its ESC before the ESC
/// counts as the Escape key on its own. Terminals write a sequence in one go, so it only has
/// to cover a slow link.
const ESCAPE_WAIT: Duration = Duration::from_millis(30);

/// A window size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Lines.
    pub rows: u16,
    /// Columns.
    pub columns: u16,
}

/// The window size of the terminal on `fd` (TIOCGWINSZ). A terminal that reports 0 (a serial
/// line that was never told) is taken as 24x80, as most programs do.
pub fn window_size(fd: impl AsFd) -> Result<Size> {
    let size = termios::tcgetwinsize(fd).map_err(|e| Error::os("cannot get window size", e))?;
    Ok(Size {
        rows: if size.ws_row == 0 { 24 } else { size.ws_row },
        columns: if size.ws_col == 0 { 80 } else { size.ws_col },
    })
}

/// Whether `fd` is a terminal.
pub fn is_terminal(fd: impl AsFd) -> bool {
    termios::isatty(fd)
}

/// This host's name (uname's nodename), for a header line.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// `time` as the local clock shows it, `HH:MM:SS`, for a header line.
pub fn clock_time(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let Ok(seconds) = seconds.try_into() else {
        return "--:--:--".to_owned();
    };
    // SAFETY: tm is a plain C struct for which all zeroes is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads our time_t and fills the tm we own.
    if unsafe { libc::localtime_r(&seconds, &mut tm) }.is_null() {
        return "--:--:--".to_owned();
    }
    format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// A key as decoded from the terminal's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A character, control characters included (`'\x0c'` is Ctrl-L).
    Char(char),
    /// Return or Enter.
    Enter,
    /// Escape pressed on its own.
    Escape,
    /// Backspace (DEL or BS).
    Backspace,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// A function or editing key this module does not name (F1, Insert, ...).
    Other,
}

/// What [`Terminal::next_event`] waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A key was pressed.
    Key(Key),
    /// The window changed size, or the program was continued after a suspension: draw the
    /// whole screen again.
    Redraw,
    /// The timeout passed.
    Timeout,
    /// The input reached its end (the terminal went away).
    Closed,
}

/// The outcome of decoding the start of the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A key and how many bytes it took.
    Key(Key, usize),
    /// The bytes so far begin a key whose end has not arrived.
    Incomplete,
}

/// Decode the first key in `bytes` (not empty).
pub fn decode(bytes: &[u8]) -> Decoded {
    match bytes {
        [] => Decoded::Incomplete,
        [0x1b] => Decoded::Incomplete,
        [0x1b, b'[' | b'O', rest @ ..] => decode_sequence(bytes[1], rest),
        // ESC followed by anything else: Escape, then that key (Alt-x comes this way).
        [0x1b, ..] => Decoded::Key(Key::Escape, 1),
        [b'\r' | b'\n', ..] => Decoded::Key(Key::Enter, 1),
        [0x7f | 0x08, ..] => Decoded::Key(Key::Backspace, 1),
        [first, ..] => {
            let len = match first {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                // A stray continuation byte or an invalid lead byte stands for itself.
                _ => return Decoded::Key(Key::Other, 1),
            };
            let Some(encoded) = bytes.get(..len) else {
                return Decoded::Incomplete;
            };
            match std::str::from_utf8(encoded)
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => Decoded::Key(Key::Char(c), len),
                None => Decoded::Key(Key::Other, 1),
            }
        }
    }
}

/// Decode a CSI (`ESC [`) or SS3 (`ESC O`) sequence, `rest` being what follows its
/// introducer. Parameters are digits and `;`; the final byte is in `@`..`~`.
fn decode_sequence(introducer: u8, rest: &[u8]) -> Decoded {
    let Some(end) = rest.iter().position(|b| (0x40..=0x7e).contains(b)) else {
        // Anything but a parameter byte means this was no sequence: ESC, then the rest.
        return if rest.iter().all(|b| b.is_ascii_digit() || *b == b';') {
            Decoded::Incomplete
        } else {
            Decoded::Key(Key::Escape, 1)
        };
    };
    let params = &rest[..end];
    let key = match (introducer, rest[end], params) {
        (_, b'A', _) => Key::Up,
        (_, b'B', _) => Key::Down,
        (_, b'C', _) => Key::Right,
        (_, b'D', _) => Key::Left,
        (_, b'H', _) | (b'[', b'~', b"1" | b"7") => Key::Home,
        (_, b'F', _) | (b'[', b'~', b"4" | b"8") => Key::End,
        (b'[', b'~', b"5") => Key::PageUp,
        (b'[', b'~', b"6") => Key::PageDown,
        _ => Key::Other,
    };
    Decoded::Key(key, 2 + end + 1)
}

/// The terminal in raw mode on the alternate screen, restored when dropped.
///
/// Raw here is what top and systemd-cgtop use: no line editing and no echo, one key at a time;
/// the terminal still turns Ctrl-C, Ctrl-\ and Ctrl-Z into signals, and output processing
/// (newline to CR LF) stays on.
pub struct Terminal {
    input: OwnedFd,
    output: File,
    /// The settings found, put back on the way out.
    saved: Termios,
    /// SIGINT, SIGTERM, SIGHUP, SIGWINCH and SIGTSTP, blocked and read from here.
    signals: SignalFd,
    /// The signal mask found, put back on the way out.
    saved_mask: SigSet,
    /// Input read but not yet decoded into keys.
    pending: Vec<u8>,
    /// Whether raw mode and the alternate screen are in force (not while suspended).
    active: bool,
}

impl Terminal {
    /// Put the terminal of `input` (the keys) and `output` (the screen) in raw mode on the
    /// alternate screen, and take over the signals that would end or stop the program. Fails
    /// if `input` is not a terminal.
    pub fn enter(input: impl AsFd, output: impl AsFd) -> Result<Self> {
        let input = input
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::os("dup failed", &e))?;
        let output = File::from(
            output
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| Error::os("dup failed", &e))?,
        );
        let saved =
            termios::tcgetattr(&input).map_err(|e| Error::os("cannot get terminal mode", e))?;
        let mut set = SigSet::empty();
        for signal in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGWINCH,
            Signal::SIGTSTP,
        ] {
            set.add(signal);
        }
        let mut saved_mask = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut saved_mask))
            .map_err(|e| Error::os("sigprocmask failed", e))?;
        let signals =
            match SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC) {
                Ok(fd) => fd,
                Err(e) => {
                    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&saved_mask), None);
                    return Err(Error::os("signalfd failed", e));
                }
            };
        let mut terminal = Terminal {
            input,
            output,
            saved,
            signals,
            saved_mask,
            pending: Vec::new(),
            active: false,
        };
        terminal.activate()?;
        Ok(terminal)
    }

    /// Raw mode on, alternate screen in.
    fn activate(&mut self) -> Result<()> {
        let mut raw = self.saved.clone();
        raw.local_modes
            .remove(LocalModes::ICANON | LocalModes::ECHO);
        raw.special_codes[SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(&self.input, OptionalActions::Now, &raw)
            .map_err(|e| Error::os("cannot set terminal mode", e))?;
        self.active = true;
        self.write(ENTER_SCREEN)
    }

    /// Alternate screen out, the settings found back. Errors are ignored: this runs on the
    /// way out, where there is nobody left to tell.
    fn deactivate(&mut self) {
        if std::mem::take(&mut self.active) {
            let _ = self.output.write_all(LEAVE_SCREEN.as_bytes());
            let _ = self.output.flush();
            let _ = termios::tcsetattr(&self.input, OptionalActions::Now, &self.saved);
        }
    }

    /// The window size now.
    pub fn size(&self) -> Result<Size> {
        window_size(&self.output)
    }

    /// Write `text` (a frame: text and escape sequences) to the screen in one go.
    pub fn write(&mut self, text: &str) -> Result<()> {
        self.output
            .write_all(text.as_bytes())
            .and_then(|()| self.output.flush())
            .map_err(|e| Error::os("write error", &e))
    }

    /// Wait up to `timeout` for a key, a change of window size or the end of the input.
    ///
    /// SIGINT, SIGTERM and SIGHUP restore the terminal and end the program by that signal
    /// (this function does not return then). SIGTSTP restores the terminal and stops the
    /// program; once continued it takes the terminal again and returns [`Event::Redraw`].
    pub fn next_event(&mut self, timeout: Duration) -> Result<Event> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            let waiting_escape = match decode(&self.pending) {
                Decoded::Key(key, len) => {
                    self.pending.drain(..len);
                    return Ok(Event::Key(key));
                }
                Decoded::Incomplete => !self.pending.is_empty(),
            };
            if now >= deadline && !waiting_escape {
                return Ok(Event::Timeout);
            }
            let wait = if waiting_escape {
                ESCAPE_WAIT
            } else {
                deadline - now
            };
            let (input_ready, signal_ready) = self.poll(wait)?;
            if signal_ready {
                if let Some(event) = self.take_signal()? {
                    return Ok(event);
                }
            }
            if input_ready {
                let mut buf = [0u8; 256];
                match rustix::io::read(&self.input, &mut buf) {
                    Ok(0) => return Ok(Event::Closed),
                    Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                    Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
                    // EIO: the terminal was hung up.
                    Err(rustix::io::Errno::IO) => return Ok(Event::Closed),
                    Err(e) => return Err(Error::os("read failed", e)),
                }
            } else if waiting_escape && !signal_ready {
                // Nothing followed the ESC in time: it was the key itself.
                self.pending.drain(..1);
                return Ok(Event::Key(Key::Escape));
            }
        }
    }

    /// Poll the input and the signals for up to `wait`: which are readable.
    fn poll(&self, wait: Duration) -> Result<(bool, bool)> {
        use rustix::event::{PollFd, PollFlags, Timespec};
        let timeout = Timespec::try_from(wait).unwrap_or(Timespec {
            tv_sec: i64::from(i32::MAX),
            tv_nsec: 0,
        });
        let mut fds = [
            PollFd::new(&self.input, PollFlags::IN),
            PollFd::new(&self.signals, PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(_) => Ok((!fds[0].revents().is_empty(), !fds[1].revents().is_empty())),
            Err(rustix::io::Errno::INTR) => Ok((false, false)),
            Err(e) => Err(Error::os("poll failed", e)),
        }
    }

    /// Act on one pending signal: the event it makes, if any.
    fn take_signal(&mut self) -> Result<Option<Event>> {
        let info = match self.signals.read_signal() {
            Ok(Some(info)) => info,
            Ok(None) => return Ok(None),
            Err(e) => return Err(Error::os("cannot read signal", e)),
        };
        let signo = i32::try_from(info.ssi_signo).unwrap_or(0);
        match signo {
            libc::SIGWINCH => Ok(Some(Event::Redraw)),
            libc::SIGTSTP => {
                self.deactivate();
                // SIGSTOP stops us as SIGTSTP would have; `fg` (SIGCONT) continues here.
                let _ = nix::sys::signal::raise(Signal::SIGSTOP);
                self.activate()?;
                Ok(Some(Event::Redraw))
            }
            _ => {
                self.deactivate();
                crate::signal::die_by_signal(signo)
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.deactivate();
        // Signals that arrived since and were not read are discarded with the descriptor, but
        // one that ends the program must still end it: read them and act.
        while let Ok(Some(info)) = self.signals.read_signal() {
            let signo = i32::try_from(info.ssi_signo).unwrap_or(0);
            if [libc::SIGINT, libc::SIGTERM, libc::SIGHUP].contains(&signo) {
                crate::signal::die_by_signal(signo);
            }
        }
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.saved_mask), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::FromRawFd;

    #[test]
    fn header_helpers() {
        assert!(!hostname().is_empty());
        let t = clock_time(std::time::SystemTime::now());
        assert_eq!(t.len(), 8);
        assert_eq!((&t[2..3], &t[5..6]), (":", ":"));
    }

    #[test]
    fn plain_keys() {
        assert_eq!(decode(b"q"), Decoded::Key(Key::Char('q'), 1));
        assert_eq!(decode(b"pq"), Decoded::Key(Key::Char('p'), 1));
        assert_eq!(decode(b"\r"), Decoded::Key(Key::Enter, 1));
        assert_eq!(decode(b"\n"), Decoded::Key(Key::Enter, 1));
        assert_eq!(decode(b"\x7f"), Decoded::Key(Key::Backspace, 1));
        assert_eq!(decode(b"\x08"), Decoded::Key(Key::Backspace, 1));
        assert_eq!(decode(b"\x0c"), Decoded::Key(Key::Char('\x0c'), 1));
        assert_eq!(decode("é".as_bytes()), Decoded::Key(Key::Char('é'), 2));
        assert_eq!(decode(&"é".as_bytes()[..1]), Decoded::Incomplete);
        assert_eq!(decode(b"\x80x"), Decoded::Key(Key::Other, 1));
        assert_eq!(decode(b""), Decoded::Incomplete);
    }

    #[test]
    fn escape_sequences() {
        assert_eq!(decode(b"\x1b[A"), Decoded::Key(Key::Up, 3));
        assert_eq!(decode(b"\x1bOB"), Decoded::Key(Key::Down, 3));
        assert_eq!(decode(b"\x1b[Cq"), Decoded::Key(Key::Right, 3));
        assert_eq!(decode(b"\x1b[D"), Decoded::Key(Key::Left, 3));
        assert_eq!(decode(b"\x1b[5~"), Decoded::Key(Key::PageUp, 4));
        assert_eq!(decode(b"\x1b[6~"), Decoded::Key(Key::PageDown, 4));
        assert_eq!(decode(b"\x1b[H"), Decoded::Key(Key::Home, 3));
        assert_eq!(decode(b"\x1b[1~"), Decoded::Key(Key::Home, 4));
        assert_eq!(decode(b"\x1bOF"), Decoded::Key(Key::End, 3));
        assert_eq!(decode(b"\x1b[4~"), Decoded::Key(Key::End, 4));
        // Shift-Up (xterm): parameters are skipped, the final byte names the key.
        assert_eq!(decode(b"\x1b[1;2A"), Decoded::Key(Key::Up, 6));
        assert_eq!(decode(b"\x1b[15~"), Decoded::Key(Key::Other, 5));
        assert_eq!(decode(b"\x1b"), Decoded::Incomplete);
        assert_eq!(decode(b"\x1b["), Decoded::Incomplete);
        assert_eq!(decode(b"\x1b[1;"), Decoded::Incomplete);
        assert_eq!(decode(b"\x1bq"), Decoded::Key(Key::Escape, 1));
        assert_eq!(decode(b"\x1b\x1b"), Decoded::Key(Key::Escape, 1));
        assert_eq!(decode(b"\x1b[\x01"), Decoded::Key(Key::Escape, 1));
    }

    /// A pseudo-terminal: (master, slave).
    fn pty(size: Size) -> (File, File) {
        let mut master = -1;
        let mut slave = -1;
        let winsize = libc::winsize {
            ws_row: size.rows,
            ws_col: size.columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors into our ints and reads our winsize; the
        // name and termios pointers may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &winsize,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty succeeded, so both are open descriptors that nothing else owns.
        unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) }
    }

    fn read_available(master: &mut File) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let mut fds = [rustix::event::PollFd::new(
                &*master,
                rustix::event::PollFlags::IN,
            )];
            let zero = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 50_000_000,
            };
            if rustix::event::poll(&mut fds, Some(&zero)).unwrap_or(0) == 0 {
                return out;
            }
            match rustix::io::read(&*master, &mut buf) {
                Ok(0) | Err(_) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn window_size_of_a_pty() {
        let (_master, slave) = pty(Size {
            rows: 33,
            columns: 101,
        });
        assert_eq!(
            window_size(&slave).ok(),
            Some(Size {
                rows: 33,
                columns: 101
            })
        );
        assert!(is_terminal(&slave));
        let file = tempfile::tempfile().unwrap_or_else(|e| panic!("tempfile: {e}"));
        assert!(!is_terminal(&file));
        assert!(window_size(&file).is_err());
    }

    /// Raw mode and the alternate screen while the guard lives, keys with a timeout, and the
    /// terminal exactly as found after it is dropped.
    #[test]
    fn raw_mode_keys_and_restore() {
        let (mut master, slave) = pty(Size {
            rows: 24,
            columns: 80,
        });
        let before = termios::tcgetattr(&slave).unwrap_or_else(|e| panic!("tcgetattr: {e}"));
        assert!(
            before
                .local_modes
                .contains(LocalModes::ICANON | LocalModes::ECHO)
        );
        let mut terminal =
            Terminal::enter(&slave, &slave).unwrap_or_else(|e| panic!("enter: {e:?}"));
        let raw = termios::tcgetattr(&slave).unwrap_or_else(|e| panic!("tcgetattr: {e}"));
        assert!(
            !raw.local_modes
                .intersects(LocalModes::ICANON | LocalModes::ECHO)
        );
        assert!(raw.local_modes.contains(LocalModes::ISIG));
        assert_eq!(read_available(&mut master), ENTER_SCREEN.as_bytes());

        // Nothing typed: the timeout, after about its length.
        let start = Instant::now();
        let event = terminal.next_event(Duration::from_millis(100));
        assert_eq!(event.ok(), Some(Event::Timeout));
        assert!(start.elapsed() >= Duration::from_millis(100));

        // Keys arrive one by one, whole escape sequences as one key, and a lone ESC as
        // Escape once nothing follows it.
        master
            .write_all(b"p\x1b[Bx\x1b")
            .unwrap_or_else(|e| panic!("write: {e}"));
        let mut keys = Vec::new();
        for _ in 0..4 {
            keys.push(terminal.next_event(Duration::from_secs(5)).ok());
        }
        assert_eq!(
            keys,
            [
                Some(Event::Key(Key::Char('p'))),
                Some(Event::Key(Key::Down)),
                Some(Event::Key(Key::Char('x'))),
                Some(Event::Key(Key::Escape)),
            ]
        );
        // Not echoed: the master reads nothing back.
        assert_eq!(read_available(&mut master), b"");

        // A window change (SIGWINCH, blocked in this thread, read through the signalfd).
        let _ = nix::sys::signal::raise(Signal::SIGWINCH);
        assert_eq!(
            terminal.next_event(Duration::from_secs(5)).ok(),
            Some(Event::Redraw)
        );

        terminal
            .write("frame")
            .unwrap_or_else(|e| panic!("write: {e:?}"));
        drop(terminal);
        assert_eq!(read_available(&mut master), b"frame\x1b[?25h\x1b[?1049l");
        let after = termios::tcgetattr(&slave).unwrap_or_else(|e| panic!("tcgetattr: {e}"));
        assert_eq!(after.local_modes, before.local_modes);
        assert_eq!(after.input_modes, before.input_modes);
        assert_eq!(after.output_modes, before.output_modes);
        assert_eq!(
            after.special_codes[SpecialCodeIndex::VMIN],
            before.special_codes[SpecialCodeIndex::VMIN]
        );
        assert_eq!(
            after.special_codes[SpecialCodeIndex::VTIME],
            before.special_codes[SpecialCodeIndex::VTIME]
        );
        // The signal mask of this thread is what it was.
        let mut mask = SigSet::empty();
        let _ = sigprocmask(SigmaskHow::SIG_BLOCK, None, Some(&mut mask));
        assert!(!mask.contains(Signal::SIGWINCH));
    }

    #[test]
    fn not_a_terminal() {
        let file = tempfile::tempfile().unwrap_or_else(|e| panic!("tempfile: {e}"));
        assert!(Terminal::enter(&file, &file).is_err());
        let mut mask = SigSet::empty();
        let _ = sigprocmask(SigmaskHow::SIG_BLOCK, None, Some(&mut mask));
        assert!(!mask.contains(Signal::SIGINT));
    }

    #[test]
    fn end_of_input() {
        let (master, slave) = pty(Size {
            rows: 24,
            columns: 80,
        });
        let mut terminal =
            Terminal::enter(&slave, &slave).unwrap_or_else(|e| panic!("enter: {e:?}"));
        drop(master);
        assert_eq!(
            terminal.next_event(Duration::from_secs(5)).ok(),
            Some(Event::Closed)
        );
    }
}
