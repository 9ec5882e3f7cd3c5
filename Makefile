# nsutils: build, install and uninstall.
#
#   make                    cargo build --release (the target scripts/env.sh picks)
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall PREFIX=/usr/local DESTDIR=
#   make pam; make install-pam PAMDIR=/usr/lib/x86_64-linux-gnu/security   (see below)
#
# install builds first unless NO_BUILD=1; BUILD_DIR says where the binaries are (default:
# the release directory of the selected target). Binaries go to BINDIR or, for the tools
# util-linux puts in sbin, SBINDIR; mount.overlay (mount(8)'s helper name for ovlmount) is
# a link in SBINDIR. Man pages go to MANDIR/man<section>, completions to the directories
# bash-completion, zsh and fish read. The services (contrib/, with SBINDIR written in):
# cgconfig (cgconfigparser at boot) and cgred (the rules daemon cgrulesengd) get their systemd
# units in SYSTEMDUNITDIR and cgred its options file in SYSCONFDIR/sysconfig/cgred (kept if it
# exists, removed by uninstall only if unchanged); `make install-openrc` puts both OpenRC
# scripts and `make install-sysvinit` the sysvinit script of cgconfig in SYSCONFDIR/init.d.
# `make install-apparmor` installs the AppArmor profile of unshare (contrib/apparmor/nsutils,
# with BINDIR written in) as SYSCONFDIR/apparmor.d/nsutils and, without DESTDIR on a system
# where AppArmor runs, loads it (apparmor_parser -r). Ubuntu 23.10 and later need it for
# user namespaces made by an unprivileged unshare (kernel.apparmor_restrict_unprivileged_userns).
# `make install` leaves it out: a security policy is the administrator's (or the package's)
# choice, and a DESTDIR build must not depend on the build host's /etc. Uninstall removes it.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
BASHDIR  ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR   ?= $(PREFIX)/share/zsh/site-functions
FISHDIR  ?= $(PREFIX)/share/fish/vendor_completions.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR     ?= /etc

BIN_TOOLS  := unshare nsenter lsns cgcreate cgset cgexec cgdelete cgget cgclassify \
              lscgroup lssubsys cgxget cgxset cgsnapshot cgtop
SBIN_TOOLS := pivot_root switch_root pivot ovlmount cgconfigparser cgrulesengd
TOOLS      := $(BIN_TOOLS) $(SBIN_TOOLS)
MAN_PAGES  := $(wildcard man/*.1 man/*.5 man/*.8)

# The target dir as scripts/env.sh chooses it (musl when it can be installed, else glibc).
BUILD_DIR ?= $(shell . ./scripts/env.sh >/dev/null && echo "$$NSUTILS_RELEASE_DIR")

# pam_cgroup.so, the PAM session module, is a glibc shared object (PAM applications are glibc
# programs), so it is built apart from the static tools: for x86_64-unknown-linux-gnu without
# crt-static, into target/pam, with libpam's development files (Debian: libpam0g-dev), and
# with panic=unwind so that a bug fails the session instead of aborting the login program.
# `make pam` builds it, `make install-pam` installs it as PAMDIR/pam_cgroup.so. PAMDIR is
# LIBDIR/security by default (where Linux-PAM configured with that libdir looks); Debian and
# Ubuntu load modules from /usr/lib/x86_64-linux-gnu/security: give that as PAMDIR.
# `make pam-debug` is the build tests/tests/pam_cgroup.rs loads.
LIBDIR    ?= $(PREFIX)/lib
PAMDIR    ?= $(LIBDIR)/security
PAM_BUILD := RUSTFLAGS="-C target-feature=-crt-static" cargo rustc --quiet -p pam_cgroup --lib \
             --crate-type cdylib --target x86_64-unknown-linux-gnu --target-dir target/pam
PAM_SO    := target/pam/x86_64-unknown-linux-gnu/release/libpam_cgroup.so

# $(call contrib,FILE,PATH,MODE): contrib/FILE installed as DESTDIR/PATH with SBINDIR and
# BINDIR written in.
contrib = install -d "$(DESTDIR)$$(dirname "$(2)")" && \
          sed 's|@SBINDIR@|$(SBINDIR)|g; s|@BINDIR@|$(BINDIR)|g' "contrib/$(1)" >"$(DESTDIR)$(2)" && \
          chmod $(3) "$(DESTDIR)$(2)"

.PHONY: all build install install-openrc install-sysvinit install-apparmor uninstall pam pam-debug install-pam uninstall-pam

all: build

build:
	. ./scripts/env.sh && cargo build --release --workspace --bins

ifeq ($(NO_BUILD),1)
install:
else
install: build
endif
	@for t in $(BIN_TOOLS); do \
	    install -Dm755 "$(BUILD_DIR)/$$t" "$(DESTDIR)$(BINDIR)/$$t" || exit 1; done
	@for t in $(SBIN_TOOLS); do \
	    install -Dm755 "$(BUILD_DIR)/$$t" "$(DESTDIR)$(SBINDIR)/$$t" || exit 1; done
	ln -sf ovlmount "$(DESTDIR)$(SBINDIR)/mount.overlay"
	@for page in $(MAN_PAGES); do \
	    section=$${page##*.}; \
	    install -Dm644 "$$page" "$(DESTDIR)$(MANDIR)/man$$section/$${page#man/}" || exit 1; done
	@for t in $(TOOLS); do \
	    install -Dm644 "completions/bash/$$t" "$(DESTDIR)$(BASHDIR)/$$t" && \
	    install -Dm644 "completions/zsh/_$$t" "$(DESTDIR)$(ZSHDIR)/_$$t" && \
	    install -Dm644 "completions/fish/$$t.fish" "$(DESTDIR)$(FISHDIR)/$$t.fish" || exit 1; done
	@for unit in cgconfig cgred; do \
	    $(call contrib,systemd/$$unit.service,$(SYSTEMDUNITDIR)/$$unit.service,644) || exit 1; done
	@[ -e "$(DESTDIR)$(SYSCONFDIR)/sysconfig/cgred" ] || \
	    install -Dm644 contrib/sysconfig-cgred "$(DESTDIR)$(SYSCONFDIR)/sysconfig/cgred"
	@echo "installed $(words $(TOOLS)) tools, mount.overlay, $(words $(MAN_PAGES)) man pages and completions under $(DESTDIR)$(PREFIX)"

install-openrc:
	@for service in cgconfig cgred; do \
	    $(call contrib,openrc/$$service,$(SYSCONFDIR)/init.d/$$service,755) || exit 1; done

install-sysvinit:
	@$(call contrib,init.d/cgconfig,$(SYSCONFDIR)/init.d/cgconfig,755)

install-apparmor:
	@$(call contrib,apparmor/nsutils,$(SYSCONFDIR)/apparmor.d/nsutils,644)
	@if [ -z "$(DESTDIR)" ] && [ -d /sys/kernel/security/apparmor ] && command -v apparmor_parser >/dev/null; then \
	    apparmor_parser -r "$(SYSCONFDIR)/apparmor.d/nsutils"; fi

uninstall:
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/cgconfig.service" "$(DESTDIR)$(SYSTEMDUNITDIR)/cgred.service" \
	    "$(DESTDIR)$(SYSCONFDIR)/init.d/cgconfig" "$(DESTDIR)$(SYSCONFDIR)/init.d/cgred" \
	    "$(DESTDIR)$(SYSCONFDIR)/apparmor.d/nsutils"
	! cmp -s contrib/sysconfig-cgred "$(DESTDIR)$(SYSCONFDIR)/sysconfig/cgred" || \
	    rm -f "$(DESTDIR)$(SYSCONFDIR)/sysconfig/cgred"
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)/,$(addsuffix ",$(BIN_TOOLS)))
	rm -f $(addprefix "$(DESTDIR)$(SBINDIR)/,$(addsuffix ",$(SBIN_TOOLS) mount.overlay))
	@for page in $(MAN_PAGES); do \
	    rm -f "$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/}"; done
	@for t in $(TOOLS); do \
	    rm -f "$(DESTDIR)$(BASHDIR)/$$t" "$(DESTDIR)$(ZSHDIR)/_$$t" "$(DESTDIR)$(FISHDIR)/$$t.fish"; done

pam:
	$(PAM_BUILD) --release --config 'profile.release.panic="unwind"'

pam-debug:
	$(PAM_BUILD)

ifeq ($(NO_BUILD),1)
install-pam:
else
install-pam: pam
endif
	install -Dm644 "$(PAM_SO)" "$(DESTDIR)$(PAMDIR)/pam_cgroup.so"

uninstall-pam:
	rm -f "$(DESTDIR)$(PAMDIR)/pam_cgroup.so"
