// Installed software for virtual agents: a base every host of a distribution has, plus a per-host choice
// from a larger pool, 200–400 packages in all. Versions move on over time (a package is upgraded every few
// weeks to months, each on its own schedule), so a later inventory differs by a few upgrades, as a real one
// does, and two inventories taken within the same hour are identical.
import { hash32, type Rng } from './rng';

const BASE = `adduser apt base-files base-passwd bash bsdutils ca-certificates coreutils cpio cron curl dash
debconf debianutils diffutils dmidecode dpkg e2fsprogs findutils gawk gcc-12-base gpgv grep gzip hostname
init-system-helpers iproute2 iputils-ping kmod less libacl1 libattr1 libaudit1 libblkid1 libbz2-1.0 libc6
libc-bin libcap2 libcrypt1 libcurl4 libdb5.3 libdebconfclient0 libexpat1 libffi8 libgcc-s1 libgcrypt20
libgmp10 libgnutls30 libgpg-error0 libidn2-0 liblz4-1 liblzma5 libmount1 libncursesw6 libnettle8 libpam0g
libpam-modules libpam-runtime libpcre2-8-0 libseccomp2 libselinux1 libsemanage2 libsepol2 libsmartcols1
libsqlite3-0 libssl3 libstdc++6 libsystemd0 libtinfo6 libudev1 libuuid1 libxxhash0 libzstd1 login logrotate
lsb-base mawk mount ncurses-base ncurses-bin netbase openssh-client openssh-server openssl passwd perl-base
procps readline-common rsyslog sed sensible-utils systemd systemd-sysv sudo sysvinit-utils tar tzdata
udev util-linux vim-common vim-tiny wget whiptail xz-utils zlib1g`.split(/\s+/);

const EXTRA = `apache2 apache2-bin apache2-data bind9-dnsutils bind9-host bzip2 chrony conntrack containerd
docker-ce docker-ce-cli ethtool fail2ban file git git-man gnupg haproxy htop iotop iptables jq keepalived
libapr1 libaprutil1 libevent-2.1-7 libgeoip1 libjemalloc2 libjson-c5 libldap-2.5-0 liblua5.3-0 libmaxminddb0
libnghttp2-14 libpq5 libpsl5 librtmp1 libsasl2-2 libssh2-1 libxml2 libxslt1.1 libyaml-0-2 lsof lvm2 mariadb-client
mariadb-server mdadm memcached nfs-common nginx nginx-common nodejs ntpdate open-iscsi openjdk-17-jre-headless
php8.2-cli php8.2-fpm php8.2-mysql postfix postgresql-15 postgresql-client-15 postgresql-common prometheus-node-exporter
python3 python3-apt python3-certifi python3-chardet python3-idna python3-requests python3-six python3-urllib3
python3-yaml redis-server redis-tools rsync screen smartmontools snmpd socat strace sysstat tcpdump tmux
traceroute unattended-upgrades unzip varnish zabbix-agent zip zsh`.split(/\s+/);

const LIB_STEMS =
	`archive asound avahi brotli cairo cups dbus drm elf event fontconfig freetype fribidi gdbm glib
gssapi harfbuzz icu jansson jbig jpeg kmod krb5 lcms ldap lmdb magic mnl netfilter nfnetlink nl nspr nss numa
oniguruma p11 pango pcap pci pixman png popt protobuf python rados rbd readline sasl sensors slang snappy sodium
tasn1 tiff unistring usb uv wrap x11 xau xcb xdmcp xext xrender xtables yaml zip acl apparmor argon2 assuan
bpf bsd capng cbor cryptsetup curl devmapper edit efivar fdisk fido2 fuse gpgme grpc hogweed inih iscsi json
keyutils ksba lzo mpfr ncurses nftables npth pam pcre pipeline psl pwquality sctp smbclient sqlite ssh tdb
tirpc tss2 uring wbclient xtables-addons xxhash zstd`.split(/\s+/);

const PY_STEMS =
	`attr babel blinker cffi click colorama cryptography dateutil distro dnspython docutils jinja2
jsonschema jwt markupsafe netifaces oauthlib openssl pkg-resources psutil pyasn1 pygments pyparsing serial
setuptools simplejson tz wheel zipp`.split(/\s+/);

const PERL_STEMS = `libdbi libdbd-mysql libio-socket-ssl libjson libnet-ssleay liburi libwww libtext-wrapi18n
libtimedate libmailtools libhtml-parser libfile-slurp libtry-tiny`.split(/\s+/);

/** Every package a host may have beyond the base: about 350. */
const POOL: readonly string[] = [
	...EXTRA,
	...LIB_STEMS.flatMap((s) => [`lib${s}${hash32(s) % 7}`, `lib${s}-dev`]),
	...PY_STEMS.map((s) => `python3-${s}`),
	...PERL_STEMS.map((s) => `${s}-perl`),
	...['dejavu-core', 'liberation', 'noto-mono', 'font-awesome'].map((s) => `fonts-${s}`)
];

export interface Distro {
	id: 'debian' | 'ubuntu' | 'rhel' | 'rocky';
	publisher: string;
}

export interface SoftwareItem {
	name: string;
	publisher: string | null;
	version: string;
	installDate: string;
	sizeKb: number;
}

/** A host's package names: the base, then a per-host selection, 200–400 in all (or exactly `want`, ≤ 400). */
export function choosePackages(rng: Rng, exactly?: number): string[] {
	const want = exactly ?? 200 + Math.floor(rng() * 201);
	const pool = [...POOL];
	for (let i = pool.length - 1; i > 0; i--) {
		const j = Math.floor(rng() * (i + 1));
		[pool[i], pool[j]] = [pool[j], pool[i]];
	}
	return [...BASE, ...pool.slice(0, Math.max(0, want - BASE.length))];
}

const HOUR = 3600_000;

/** Each package on each host is upgraded every 400 to 8,400 hours, with its own phase: a few a week per host. */
function upgradeCycle(host: string, name: string): { period: number; phase: number } {
	const h = hash32(`${host}/${name}`);
	const period = 400 + (h % 8000);
	return { period, phase: (h >>> 12) % period };
}

export function upgradesSince(host: string, name: string, now: number): number {
	const { period, phase } = upgradeCycle(host, name);
	return Math.floor((now / HOUR + phase) / period);
}

function baseVersion(name: string): [number, number, number, number] {
	const h = hash32(name);
	return [h % 9, (h >>> 4) % 20, (h >>> 9) % 12, 1 + ((h >>> 14) % 4)];
}

/** The version a package is at `now` on `host`: the same everywhere at first, later upgrades per host. */
export function softwareItem(distro: Distro, host: string, name: string, now: number): SoftwareItem {
	const [a, b, c, rev] = baseVersion(name);
	const n = upgradesSince(host, name, now) % 50;
	const version =
		distro.id === 'rhel' || distro.id === 'rocky'
			? `${a}.${b}.${c}-${rev + n}.el9`
			: `${a}.${b}.${c}-${rev}${n ? `+deb12u${n}` : ''}`;
	// Installed (or last upgraded) at the start of the current upgrade period, rounded to the day.
	const { period, phase } = upgradeCycle(host, name);
	const sinceHours = (now / HOUR + phase) % period;
	const day = new Date(Math.max(0, now - sinceHours * HOUR)).toISOString().slice(0, 10);
	return {
		name,
		publisher: distro.publisher,
		version,
		installDate: day,
		sizeKb: 16 + (hash32(name + '#size') % 90_000)
	};
}
