# nsutils: build, install and uninstall.
#
#   make                    cargo build --release (the target scripts/env.sh picks)
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall PREFIX=/usr/local DESTDIR=
#
# install builds first unless NO_BUILD=1; BUILD_DIR says where the binaries are (default:
# the release directory of the selected target). Binaries go to BINDIR or, for the tools
# util-linux puts in sbin, SBINDIR; mount.overlay (mount(8)'s helper name for ovlmount) is
# a link in SBINDIR. Man pages go to MANDIR/man<section>, completions to the directories
# bash-completion, zsh and fish read.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
BASHDIR  ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR   ?= $(PREFIX)/share/zsh/site-functions
FISHDIR  ?= $(PREFIX)/share/fish/vendor_completions.d
# cgconfigparser's boot-time loaders (contrib/): a systemd unit, a sysvinit and an OpenRC
# script, each with SBINDIR written in.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INITDIR        ?= $(PREFIX)/share/nsutils/init.d
OPENRCDIR      ?= $(PREFIX)/share/nsutils/openrc

BIN_TOOLS  := unshare nsenter lsns cgcreate cgset cgexec cgdelete cgget cgclassify \
              lscgroup lssubsys cgxget cgxset cgsnapshot
SBIN_TOOLS := pivot_root switch_root pivot ovlmount cgconfigparser
TOOLS      := $(BIN_TOOLS) $(SBIN_TOOLS)
MAN_PAGES  := $(wildcard man/*.1 man/*.5 man/*.8)

# The target dir as scripts/env.sh chooses it (musl when it can be installed, else glibc).
BUILD_DIR ?= $(shell . ./scripts/env.sh >/dev/null && echo "$$NSUTILS_RELEASE_DIR")

.PHONY: all build install uninstall

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
	@for f in "cgconfig.service $(SYSTEMDUNITDIR)/cgconfig.service 644" \
	          "cgconfig.init $(INITDIR)/cgconfig 755" "cgconfig.openrc $(OPENRCDIR)/cgconfig 755"; do \
	    set -- $$f; install -d "$(DESTDIR)$$(dirname "$$2")" && \
	    sed 's|@SBINDIR@|$(SBINDIR)|g' "contrib/$$1" >"$(DESTDIR)$$2" && \
	    chmod "$$3" "$(DESTDIR)$$2" || exit 1; done
	@echo "installed $(words $(TOOLS)) tools, mount.overlay, $(words $(MAN_PAGES)) man pages and completions under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(BINDIR)/,$(addsuffix ",$(BIN_TOOLS)))
	rm -f $(addprefix "$(DESTDIR)$(SBINDIR)/,$(addsuffix ",$(SBIN_TOOLS) mount.overlay))
	@for page in $(MAN_PAGES); do \
	    rm -f "$(DESTDIR)$(MANDIR)/man$${page##*.}/$${page#man/}"; done
	@for t in $(TOOLS); do \
	    rm -f "$(DESTDIR)$(BASHDIR)/$$t" "$(DESTDIR)$(ZSHDIR)/_$$t" "$(DESTDIR)$(FISHDIR)/$$t.fish"; done
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/cgconfig.service" "$(DESTDIR)$(INITDIR)/cgconfig" \
	    "$(DESTDIR)$(OPENRCDIR)/cgconfig"
