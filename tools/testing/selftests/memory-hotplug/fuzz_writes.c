// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed writes to every writable file of memory hot(un)plug: each is
 * refused with the errno the kernel documents and changes nothing.
 *
 * The files: auto_online_blocks, every block's state and online, probe,
 * soft_offline_page, hard_offline_page and the writable parameters of
 * /sys/module/memory_hotplug. The values are made here: empty, whitespace,
 * case, spacing and suffix variants of every word these files know, numbers
 * at every boundary in every base, addresses around every block and far
 * beyond, long strings, embedded NUL bytes, UTF-8 and control characters.
 *
 * What the store sees is what sysfs hands it: at most a page of the write,
 * ended by the first NUL. A model of the parser each file uses (sysfs_streq,
 * kstrtobool, kstrtoull, kstrtouint) tells the answer; a value the parser
 * accepts is not written, nor is an address the kernel would act on: a
 * probe of a block aligned address where no block is and the range is
 * addressable (it would add memory), an address in online memory for the
 * two hwpoison files. What is written and what the kernel must answer:
 *
 *  - an empty write: 0, the store is not called
 *  - auto_online_blocks, state, online_policy: not one of the words, EINVAL
 *  - online, auto_movable_numa_aware: no kstrtobool() word, EINVAL
 *  - auto_movable_ratio: no number EINVAL, above UINT_MAX ERANGE
 *  - offline_timeout_ms (where the kernel has it): no number or above
 *    UINT_MAX, EINVAL
 *  - probe: no number EINVAL, above ULLONG_MAX ERANGE, not block aligned
 *    EINVAL, a present block EEXIST, at or above 2^52 (beyond what x86-64
 *    can address) E2BIG
 *  - soft_offline_page: no number EINVAL; in an offline block EIO, where
 *    no block is ENXIO
 *  - hard_offline_page: no number EINVAL; offline or absent memory ENXIO
 *
 * After each write the file written is read again (a write-only file:
 * MemTotal) and after each class of values every block's state, the block
 * count, MemTotal, HardwareCorrupted and every readable file. One result
 * per file and class of values; a mismatch prints the value, what the
 * kernel answered and what it should have.
 *
 * MHP_FUZZ_STRIDE=N in the environment keeps one value in N (the first of
 * each N) of every class but the long and NUL ones, which are written in
 * full: a debug kernel under emulation takes over a second per thousand
 * writes, and the harness sets it there.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "mhp_util.h"

#define PARAM_DIR "/sys/module/memory_hotplug/parameters"
#define SAMPLE 16		/* other blocks get one value in SAMPLE */
#define SHOW_MAX 6		/* mismatches shown per result */
#define LINE_MAX_LEN 128
#define ADDR_LIMIT 0x10000000000000ULL	/* 2^52: x86-64 addresses nothing here */

#define NOT_SENT_VALID 1	/* the parser accepts it */
#define NOT_SENT_UNSAFE 2	/* the kernel would act on it */

enum vclass {
	V_EMPTY, V_SPACE, V_CASE, V_SPACING, V_SUFFIX, V_NUMBER, V_ADDRESS,
	V_LONG, V_NUL, V_UTF8, V_CONTROL, NR_VCLASS
};

static const char *const vclass_name[NR_VCLASS] = {
	"empty", "whitespace", "case", "spacing", "suffix", "number",
	"address", "long", "NUL", "UTF-8", "control",
};

struct value {
	char *buf;
	size_t len;
};

static struct value *values[NR_VCLASS];
static int nvalues[NR_VCLASS], cap[NR_VCLASS];

/* How a file's store parses what it is given. */
enum model { M_WORDS, M_BOOL, M_UINT, M_UINT_EINVAL, M_PROBE, M_SOFT, M_HARD };

struct target {
	char path[160];
	char want[LINE_MAX_LEN];	/* what it reads as; "" if write-only */
	int fd;
	int full;			/* every value, or one in SAMPLE */
	int block;			/* block id, or -1 */
};

struct fileclass {
	const char *name;
	enum model model;
	const char *const *words;	/* M_WORDS: what is accepted */
	struct target *t;
	int nt;
};

struct tally {
	int writes, bad, valid, unsafe;
};

static const char *const online_types[] = {
	"offline", "online", "online_kernel", "online_movable", NULL
};

static const char *const policies[] = { "contig-zones", "auto-movable", NULL };

/* Every word any of the files knows, and a few more. */
static const char *const words[] = {
	"offline", "online", "online_kernel", "online_movable", "contig-zones",
	"auto-movable", "force", "yes", "no", "on", "off", "true", "false",
	"y", "n", "enable", "disable",
};

#define NR_WORDS ((int)ARRAY_SIZE(words))

static unsigned long long bsz;
static long page_size;
static int max_id = -1;
static char *bstate;		/* per block id: 0 absent, 'f' offline, 'n' online, '?' */
static long memtotal, hwcorrupt;
static long total_writes, total_bad;
static char orig_auto[LINE_MAX_LEN];
static struct fileclass *restore_fc[4];
static char restore_val[4][LINE_MAX_LEN];
static int nrestore;
static int stride = 1;		/* MHP_FUZZ_STRIDE: one value in stride */

/* ---- values ------------------------------------------------------------ */

static void add(int cls, const char *buf, size_t len)
{
	struct value *v;
	int i;

	for (i = 0; i < nvalues[cls]; i++) {
		v = &values[cls][i];
		if (v->len == len && !memcmp(v->buf, buf, len))
			return;
	}
	if (nvalues[cls] == cap[cls]) {
		cap[cls] = cap[cls] ? 2 * cap[cls] : 256;
		values[cls] = realloc(values[cls], cap[cls] * sizeof(*v));
		if (!values[cls])
			ktap_skip_all("out of memory");
	}
	v = &values[cls][nvalues[cls]++];
	v->buf = malloc(len + 1);
	if (!v->buf)
		ktap_skip_all("out of memory");
	memcpy(v->buf, buf, len);
	v->buf[len] = '\0';
	v->len = len;
}

static void adds(int cls, const char *s)
{
	add(cls, s, strlen(s));
}

static void __printf(2, 3) addf(int cls, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= 0 && n < (int)sizeof(buf))
		add(cls, buf, n);
}

/* add3: a + b + c, any of them with NUL bytes, lengths given */
static void add3(int cls, const char *a, size_t la, const char *b, size_t lb,
		 const char *c, size_t lc)
{
	char buf[512];

	if (la + lb + lc > sizeof(buf))
		return;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	memcpy(buf + la + lb, c, lc);
	add(cls, buf, la + lb + lc);
}

/* addn: n bytes: head, then fill repeated, then tail */
static void addn(int cls, size_t n, const char *head, const char *fill,
		 const char *tail)
{
	size_t lh = strlen(head), lf = strlen(fill), lt = strlen(tail), i;
	char *buf;

	if (lh + lt > n)
		return;
	buf = malloc(n);
	if (!buf)
		ktap_skip_all("out of memory");
	memcpy(buf, head, lh);
	for (i = lh; i < n - lt; i++)
		buf[i] = fill[(i - lh) % lf];
	memcpy(buf + n - lt, tail, lt);
	add(cls, buf, n);
	free(buf);
}

static void gen_space(void)
{
	static const char ws[] = " \t\n\r\v\f";
	char s[4];
	int a, b, c;

	for (a = 0; a < 6; a++) {
		s[0] = ws[a];
		add(V_SPACE, s, 1);
		for (b = 0; b < 6; b++) {
			s[1] = ws[b];
			add(V_SPACE, s, 2);
			for (c = 0; c < 6; c++) {
				s[2] = ws[c];
				add(V_SPACE, s, 3);
			}
		}
	}
}

static void gen_case(const char *w)
{
	size_t len = strlen(w), i;
	char s[64];
	int phase;

	for (i = 0; i < len; i++)
		s[i] = toupper(w[i]);
	add(V_CASE, s, len);
	memcpy(s, w, len + 1);
	s[0] = toupper(s[0]);
	add(V_CASE, s, len);
	for (i = 0; i < len; i++) {
		memcpy(s, w, len + 1);
		if (!isalpha((unsigned char)s[i]))
			continue;
		s[i] = toupper(s[i]);
		add(V_CASE, s, len);
	}
	for (phase = 0; phase < 2; phase++) {
		for (i = 0; i < len; i++)
			s[i] = (int)(i & 1) == phase ? toupper(w[i]) : w[i];
		if (memcmp(s, w, len))
			add(V_CASE, s, len);
	}
}

static void gen_spacing(const char *w)
{
	static const char *const ws[] = {
		" ", "\t", "\n", "\r", "\v", "\f", "\r\n", "\x20\n", "\n ",
		"\n\n", "  ",
	};
	static const char *const inner[] = { " ", "\t", "\n" };
	size_t len = strlen(w), i, k;

	for (i = 0; i < ARRAY_SIZE(ws); i++) {
		addf(V_SPACING, "%s%s", ws[i], w);
		addf(V_SPACING, "%s%s", w, ws[i]);
		addf(V_SPACING, "%s%s%s", ws[i], w, ws[i]);
	}
	for (i = 1; i < len; i++)
		for (k = 0; k < ARRAY_SIZE(inner); k++)
			addf(V_SPACING, "%.*s%s%s", (int)i, w, inner[k], w + i);
}

static void gen_suffix(const char *w)
{
	static const char *const tail[] = {
		"x", "_", "-", "0", "1", "s", ".", ";", ",", "!", "/", "\\",
		"=", "=1", "\"", "'", " x", "\tx", "\nx", "\n\nx", "_kernel",
		"_movable", "_zones", "-zones", "ing", "\x7f",
	};
	static const char *const head[] = { "x", "_", "-", "!", "+", "=" };
	size_t len = strlen(w), i;

	for (i = 0; i < ARRAY_SIZE(tail); i++)
		addf(V_SUFFIX, "%s%s", w, tail[i]);
	for (i = 0; i < ARRAY_SIZE(head); i++)
		addf(V_SUFFIX, "%s%s", head[i], w);
	addf(V_SUFFIX, "\"%s\"", w);
	addf(V_SUFFIX, "'%s'", w);
	addf(V_SUFFIX, "%s%s", w, w);
	addf(V_SUFFIX, "%s\n%s", w, w);
	addf(V_SUFFIX, "%s %s", w, w);
	for (i = 1; i < len; i++)
		addf(V_SUFFIX, "%.*s", (int)i, w);
	for (i = 0; i < len; i++)
		addf(V_SUFFIX, "%.*s%s", (int)i, w, w + i + 1);
}

/* fmt128: v in base 2, 8, 10 or 16 */
static char *fmt128(char *out, __uint128_t v, unsigned int base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[160];
	int n = 0, i;

	do {
		tmp[n++] = digits[(unsigned int)(v % base)];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return out;
}

static void gen_number(void)
{
	static const char *const odd[] = {
		"0x", "0X", "0x\n", "x1", "0xx1", "0x0x1", "+", "-", "++1",
		"+-1", "-+1", "--1", "1_000", "1,000", "1 000", "1e9", "1.5",
		".5", "0.", "NaN", "nan", "inf", "-inf", "-0", "-0x0", "0x-1",
		"0x+1", "1-", "1+", "0x 1", "0 x1", "0b101", "0o17", "0d10",
		"1h", "0x1p3", "1/2", "2*2", "(1)", "[1]", "{}", "#1", "$1",
		"0x00000000000000000000000000000001",
		"000000000000000000000000000000000000001",
		"0x10000000000000000", "0x0000000000000000000000010000000000000000",
		"18446744073709551616", "99999999999999999999999999",
	};
	__uint128_t b[48], one = 1;
	char dec[64], hex[64], hexu[64], oct[64], bin[160];
	int n = 0, i;

	b[n++] = 0;
	b[n++] = 1;
	b[n++] = 2;
	b[n++] = 7;
	b[n++] = 8;
	b[n++] = 9;
	b[n++] = 10;
	b[n++] = 15;
	b[n++] = 16;
	b[n++] = 99;
	b[n++] = 100;
	b[n++] = 127;
	b[n++] = 128;
	b[n++] = 255;
	b[n++] = 256;
	b[n++] = 300;
	b[n++] = 301;
	b[n++] = 302;
	b[n++] = 4095;
	b[n++] = 4096;
	b[n++] = 4097;
	b[n++] = 65535;
	b[n++] = 65536;
	b[n++] = INT_MAX;
	b[n++] = (__uint128_t)INT_MAX + 1;
	b[n++] = UINT_MAX;
	b[n++] = (__uint128_t)UINT_MAX + 1;
	b[n++] = LONG_MAX;
	b[n++] = (__uint128_t)LONG_MAX + 1;
	b[n++] = ULONG_MAX - 1;
	b[n++] = ULONG_MAX;
	b[n++] = one << 64;
	b[n++] = (one << 64) + 1;
	b[n++] = (one << 64) + bsz;
	b[n++] = (__uint128_t)10000000000000000000ULL * 10;
	b[n++] = one << 127;
	b[n++] = ~(__uint128_t)0;

	for (i = 0; i < n; i++) {
		fmt128(dec, b[i], 10, 0);
		fmt128(hex, b[i], 16, 0);
		fmt128(hexu, b[i], 16, 1);
		fmt128(oct, b[i], 8, 0);
		addf(V_NUMBER, "%s", dec);
		addf(V_NUMBER, "+%s", dec);
		addf(V_NUMBER, "-%s", dec);
		addf(V_NUMBER, "0%s", dec);
		addf(V_NUMBER, "0x%s", hex);
		addf(V_NUMBER, "0X%s", hexu);
		addf(V_NUMBER, "0x%s", hexu);
		addf(V_NUMBER, "+0x%s", hex);
		addf(V_NUMBER, "-0x%s", hex);
		addf(V_NUMBER, "0%s", oct);
		addf(V_NUMBER, "-0%s", oct);
		addf(V_NUMBER, "%s", hex);
		addf(V_NUMBER, "%s\n", dec);
		addf(V_NUMBER, "%s\n\n", dec);
		addf(V_NUMBER, "%s\r\n", dec);
		addf(V_NUMBER, " %s", dec);
		addf(V_NUMBER, "%s ", dec);
		addf(V_NUMBER, "\t%s", dec);
		addf(V_NUMBER, "%sk", dec);
		addf(V_NUMBER, "%sM", dec);
		addf(V_NUMBER, "%sG", dec);
		addf(V_NUMBER, "%s.0", dec);
		addf(V_NUMBER, "%se0", dec);
		addf(V_NUMBER, "0x%sg", hex);
		addf(V_NUMBER, "0x%s\n", hex);
		addf(V_NUMBER, "0x%sh", hex);
		addf(V_NUMBER, "%sh", hex);
		if (b[i] < (1 << 20))
			addf(V_NUMBER, "0b%s", fmt128(bin, b[i], 2, 0));
	}
	for (i = 0; i < (int)ARRAY_SIZE(odd); i++)
		adds(V_NUMBER, odd[i]);
}

static void gen_address_at(unsigned long long base)
{
	const unsigned long long off[] = {
		0, 1, 0x1000 - 1, 0x1000, 0x1001, bsz / 2, bsz - 0x1000, bsz - 1,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		if (base + off[i] < base)
			continue;
		addf(V_ADDRESS, "0x%llx", base + off[i]);
	}
	addf(V_ADDRESS, "%llu", base);
	addf(V_ADDRESS, "0X%llX", base + 0x1000);
	addf(V_ADDRESS, "0%llo", base + 0x1000);
}

static void gen_address(void)
{
	unsigned long long top = (unsigned long long)(max_id + 1) * bsz;
	int id, k;

	for (id = 0; id <= max_id; id++) {
		/* every block, and the first of each gap between them */
		if (bstate[id] || (id > 0 && bstate[id - 1]))
			gen_address_at(id * bsz);
	}
	gen_address_at(top);
	gen_address_at(top + 64 * bsz);
	for (k = 36; k < 64; k++) {
		gen_address_at(1ULL << k);
		gen_address_at((1ULL << k) - bsz);
	}
	gen_address_at(-bsz);
	gen_address_at(-2 * bsz);
	gen_address_at(ADDR_LIMIT - bsz);
	addf(V_ADDRESS, "0x%llx", ULLONG_MAX - 0xfff);
	addf(V_ADDRESS, "0x%llx", ULLONG_MAX);
}

static void gen_long(void)
{
	static const size_t sizes[] = { 100, 1000, 4095, 4096, 4097, 8192 };
	static const char *const fill[] = {
		"a", "0", "1", "7", "9", "f", " ", "\n", "\t", "+", "-",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "\xff", "\xc3\xa9", "online ",
	};
	unsigned int i, k;
	size_t n;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		n = sizes[i];
		for (k = 0; k < ARRAY_SIZE(fill); k++)
			addn(V_LONG, n, "", fill[k], "");
		addn(V_LONG, n, "0x", "f", "");
		addn(V_LONG, n, "0x", "0", "1");
		addn(V_LONG, n, "", "0", "1");
		addn(V_LONG, n, "1", "0", "");
		addn(V_LONG, n, "0x", "0", "8000000");
		addn(V_LONG, n, "offline", " ", "");
		addn(V_LONG, n, "online", "\n", "");
		addn(V_LONG, n, "online_movable", "x", "");
		addn(V_LONG, n, "", " ", "offline");
		addn(V_LONG, n, "", "\n", "auto-movable");
		addn(V_LONG, n, "contig-zones", "-", "");
	}
}

static void gen_nul(const char *w)
{
	size_t len = strlen(w), i;

	add3(V_NUL, "", 0, "\0", 1, w, len);
	add3(V_NUL, w, len, "\0", 1, "", 0);
	add3(V_NUL, w, len, "\0", 1, "x", 1);
	add3(V_NUL, w, len, "\0\n", 2, "", 0);
	add3(V_NUL, w, len, "\n\0", 2, "x", 1);
	add3(V_NUL, w, len, "x\0", 2, w, len);
	for (i = 1; i < len; i++)
		add3(V_NUL, w, i, "\0", 1, w + i, len - i);
}

static void gen_nul_misc(void)
{
	static const char zeros[4096];

	add(V_NUL, "\0", 1);
	add(V_NUL, "\0\0", 2);
	add(V_NUL, "\0\n", 2);
	add(V_NUL, "\n\0", 2);
	add(V_NUL, " \0", 2);
	add(V_NUL, "1\0", 2);
	add(V_NUL, "2\0", 2);
	add(V_NUL, "\0001", 2);
	add(V_NUL, "0x\0001", 4);
	add(V_NUL, "0x1\0", 4);
	add(V_NUL, "4096\0", 5);
	add(V_NUL, "0x1000\0000", 8);
	add(V_NUL, "0x8000\0000000", 11);
	add(V_NUL, "\0000x8000000", 10);
	add(V_NUL, zeros, 100);
	add(V_NUL, zeros, 4096);
}

static void gen_utf8(void)
{
	static const char *const seq[] = {
		"\xc2\xa0", "\xe2\x80\x8b", "\xef\xbb\xbf", "\xc3\xa9",
		"\xd0\xbe", "\xef\xbd\x8f", "\xf0\x9f\x98\x80", "\xe2\x80\xa8",
		"\xe3\x80\x80", "\xef\xbc\x91", "\xd9\xa3", "\xc2\xb9",
		"\xe2\x81\xb0", "\xc3\xbf", "\xc4\xb1",
		/* not UTF-8: stray, overlong, truncated, surrogate, too big */
		"\xff", "\xfe", "\x80", "\xbf", "\xc0\x80", "\xc0\xaf",
		"\xc1\xbf", "\xe0\x80\x80", "\xe2\x82", "\xf0\x9f\x98",
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
		"\xfc\x84\x80\x80\x80\x80",
	};
	static const char *const w[] = {
		"offline", "online", "online_movable", "contig-zones",
		"auto-movable", "yes", "on", "1", "0x1000", "0x100000000",
	};
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		adds(V_UTF8, seq[i]);
		addf(V_UTF8, "%s%s", seq[i], seq[i]);
		for (k = 0; k < ARRAY_SIZE(w); k++) {
			addf(V_UTF8, "%s%s", seq[i], w[k]);
			addf(V_UTF8, "%s%s", w[k], seq[i]);
			addf(V_UTF8, "%.1s%s%s", w[k], seq[i], w[k] + 1);
		}
	}
	/* look-alikes: Cyrillic o and e, fullwidth letters and digits */
	adds(V_UTF8, "\xd0\xbenline");
	adds(V_UTF8, "\xd0\xbe\xd0\xbe\x66\x66line");
	adds(V_UTF8, "offlin\xd0\xb5");
	adds(V_UTF8, "onlin\xd0\xb5_movable");
	adds(V_UTF8, "\xef\xbd\x8f\xef\xbd\x8e\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x8e\xef\xbd\x85");
	adds(V_UTF8, "\xef\xbc\x90\xef\xbd\x98\xef\xbc\x91");
	adds(V_UTF8, "\xd0\xbe\xd0\xbd\xd0\xbb\xd0\xb0\xd0\xb9\xd0\xbd");
	adds(V_UTF8, "auto\xe2\x80\x90movable");
	adds(V_UTF8, "contig\xe2\x80\x93zones");
	adds(V_UTF8, "online\xe2\x80\x94kernel");
}

static void gen_control(void)
{
	char c[2] = { 0, 0 };
	int i;

	for (i = 1; i < 0x80; i++) {
		if (i == 0x20)
			i = 0x7f;
		c[0] = i;
		adds(V_CONTROL, c);
		addf(V_CONTROL, "%s%s", c, c);
		addf(V_CONTROL, "%sonline", c);
		addf(V_CONTROL, "offline%s", c);
		addf(V_CONTROL, "on%sline", c);
		addf(V_CONTROL, "%s1", c);
		addf(V_CONTROL, "1%s", c);
		addf(V_CONTROL, "0x1000%s", c);
		addf(V_CONTROL, "%sauto-movable", c);
	}
	adds(V_CONTROL, "\x1b[A");
	adds(V_CONTROL, "\x1b[0monline");
	adds(V_CONTROL, "onlinx\be");
	adds(V_CONTROL, "offline\b");
	adds(V_CONTROL, "\b\b\b");
}

static void gen_values(void)
{
	int i;

	add(V_EMPTY, "", 0);
	gen_space();
	for (i = 0; i < NR_WORDS; i++) {
		gen_case(words[i]);
		gen_spacing(words[i]);
		gen_suffix(words[i]);
		gen_nul(words[i]);
	}
	gen_number();
	gen_address();
	gen_long();
	gen_nul_misc();
	gen_utf8();
	gen_control();
}

/* ---- what the kernel's parsers make of a string ------------------------- */

/* sysfs_streq(): equal, but for one trailing newline on either side */
static int streq_model(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return 1;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return 1;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return 1;
	return 0;
}

/* kstrtobool(): only the first one or two characters count */
static int bool_model(const char *s)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
	case 'n': case 'N': case 'f': case 'F': case '0':
		return 0;
	case 'o': case 'O':
		if (s[1] && strchr("nNfF", s[1]))
			return 0;
	}
	return -EINVAL;
}

/* kstrtoull(s, 0, res): 0, -EINVAL or -ERANGE */
static int ull_model(const char *s, unsigned long long *res)
{
	unsigned long long v = 0;
	unsigned int base = 10, c, val;
	int overflow = 0, n = 0;

	if (*s == '+')
		s++;
	if (s[0] == '0') {
		base = 8;
		if ((s[1] | 0x20) == 'x' && isxdigit((unsigned char)s[2])) {
			base = 16;
			s += 2;
		}
	}
	for (;; s++, n++) {
		c = (unsigned char)*s;
		if (c >= '0' && c <= '9')
			val = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			val = (c | 0x20) - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (v > (ULLONG_MAX - val) / base)
			overflow = 1;
		v = v * base + val;
	}
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

static char block_at(unsigned long long addr)
{
	unsigned long long id = addr / bsz;

	return id <= (unsigned long long)max_id ? bstate[id] : 0;
}

/*
 * expect: what writing v to a file of fc must give: -errno, 0 for a write
 * of 0 bytes, or NOT_SENT_* for a value not to be written.
 */
static int expect(const struct fileclass *fc, const struct value *v)
{
	static char *s;
	unsigned long long x;
	size_t n = v->len < (size_t)page_size ? v->len : (size_t)page_size;
	int i, r;

	if (!v->len)
		return 0;
	if (!s) {
		s = malloc(page_size + 1);
		if (!s)
			ktap_skip_all("out of memory");
	}
	memcpy(s, v->buf, n);	/* what the store sees */
	s[n] = '\0';

	switch (fc->model) {
	case M_WORDS:
		for (i = 0; fc->words[i]; i++)
			if (streq_model(s, fc->words[i]))
				return NOT_SENT_VALID;
		return -EINVAL;
	case M_BOOL:
		return bool_model(s) ? -EINVAL : NOT_SENT_VALID;
	case M_UINT:
		r = ull_model(s, &x);
		if (r)
			return r;
		return x > UINT_MAX ? -ERANGE : NOT_SENT_VALID;
	case M_UINT_EINVAL:
		r = ull_model(s, &x);
		return r || x > UINT_MAX ? -EINVAL : NOT_SENT_VALID;
	case M_PROBE:
		r = ull_model(s, &x);
		if (r)
			return r;
		if (x % bsz)
			return -EINVAL;
		if (block_at(x))
			return -EEXIST;
		return x >= ADDR_LIMIT ? -E2BIG : NOT_SENT_UNSAFE;
	case M_SOFT:
	case M_HARD:
		if (ull_model(s, &x))
			return -EINVAL;
		switch (block_at(x)) {
		case 0:
			return -ENXIO;
		case 'f':
			return fc->model == M_SOFT ? -EIO : -ENXIO;
		default:
			return NOT_SENT_UNSAFE;
		}
	}
	return NOT_SENT_UNSAFE;
}

/* ---- the system's state -------------------------------------------------- */

static void read_blocks(void)
{
	struct dirent *d;
	char buf[64];
	DIR *dir;
	int id;

	free(bstate);
	max_id = -1;
	dir = opendir(MEM_DIR);
	if (!dir)
		ktap_skip_all("no " MEM_DIR);
	while ((d = readdir(dir)))
		if (sscanf(d->d_name, "memory%d", &id) == 1 && id > max_id)
			max_id = id;
	closedir(dir);
	bstate = calloc(max_id + 2, 1);
	if (!bstate)
		ktap_skip_all("out of memory");
	for (id = 0; id <= max_id; id++) {
		if (block_file(id, "state", buf, sizeof(buf)))
			continue;
		bstate[id] = !strcmp(buf, "offline") ? 'f' :
			     !strcmp(buf, "online") ? 'n' : '?';
	}
}

static const char *errname(int e)
{
	static char buf[32];

	switch (e) {
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EEXIST: return "EEXIST";
	case E2BIG: return "E2BIG";
	case ENXIO: return "ENXIO";
	case EIO: return "EIO";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	case EAGAIN: return "EAGAIN";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* shown: v printable, C escapes, cut after 48 characters */
static const char *shown(const struct value *v)
{
	static char out[256];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < v->len && o < 200; i++) {
		c = v->buf[i];
		if (c == '\n')
			o += sprintf(out + o, "\\n");
		else if (c == '\t')
			o += sprintf(out + o, "\\t");
		else if (c == '"' || c == '\\')
			o += sprintf(out + o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = c;
		if (i == 47 && v->len > 48) {
			i = v->len;
			o += sprintf(out + o, "...");
		}
	}
	out[o] = '\0';
	return out;
}

static void show_bad(struct tally *t, const char *file, const struct value *v,
		     const char *what)
{
	t->bad++;
	total_bad++;
	if (t->bad <= SHOW_MAX)
		ktap_diag("  %s <- \"%s\" (%zu bytes): %s", file, shown(v), v->len, what);
}

/*
 * check_all: compare every block's state, the block count, MemTotal,
 * HardwareCorrupted and every readable file with what they were; print
 * each difference and take the new state as the reference. Returns how
 * many differences there were.
 */
static int check_all(struct fileclass *fcs, int nfc)
{
	int old_max = max_id, id, i, j, diff = 0;
	char *old = bstate, now[LINE_MAX_LEN];
	long v;

	bstate = NULL;
	read_blocks();
	for (id = 0; id <= (old_max > max_id ? old_max : max_id); id++) {
		char a = id <= old_max ? old[id] : 0;
		char b = id <= max_id ? bstate[id] : 0;

		if (a != b) {
			ktap_diag("  memory%d: was %s, now %s", id,
				  a == 'f' ? "offline" : a == 'n' ? "online" : a ? "?" : "absent",
				  b == 'f' ? "offline" : b == 'n' ? "online" : b ? "?" : "absent");
			diff++;
		}
	}
	free(old);
	v = meminfo_kb("MemTotal");
	if (v != memtotal) {
		ktap_diag("  MemTotal: was %ld kB, now %ld kB", memtotal, v);
		memtotal = v;
		diff++;
	}
	v = meminfo_kb("HardwareCorrupted");
	if (v != hwcorrupt) {
		ktap_diag("  HardwareCorrupted: was %ld kB, now %ld kB", hwcorrupt, v);
		hwcorrupt = v;
		diff++;
	}
	for (i = 0; i < nfc; i++) {
		for (j = 0; j < fcs[i].nt; j++) {
			struct target *t = &fcs[i].t[j];

			if (!t->want[0])
				continue;
			read_file(t->path, now, sizeof(now));
			if (strcmp(now, t->want)) {
				ktap_diag("  %s: was \"%s\", now \"%s\"", t->path, t->want, now);
				memcpy(t->want, now, sizeof(now));
				diff++;
			}
		}
	}
	return diff;
}

/* ---- the writes ---------------------------------------------------------- */

static void fuzz_one(struct target *t, const struct value *v, int want,
		     struct tally *tl)
{
	char now[LINE_MAX_LEN], what[LINE_MAX_LEN * 2 + 64];
	const char *file = strrchr(t->path, '/') + 1;
	ssize_t ret;
	int err;
	long mt;

	if (t->block >= 0)
		file = t->path + strlen(MEM_DIR) + 1;
	ret = pwrite(t->fd, v->buf, v->len, 0);
	err = ret < 0 ? errno : 0;
	tl->writes++;
	total_writes++;
	if (ret >= 0 && (want || ret != 0)) {
		snprintf(what, sizeof(what), "wrote %zd bytes, want %s", ret,
			 want ? errname(-want) : "0 bytes written");
		show_bad(tl, file, v, what);
	} else if (ret < 0 && err != -want) {
		snprintf(what, sizeof(what), "got %s, want %s", errname(err),
			 want ? errname(-want) : "0 bytes written");
		show_bad(tl, file, v, what);
	}
	if (t->want[0]) {
		read_file(t->path, now, sizeof(now));
		if (strcmp(now, t->want)) {
			snprintf(what, sizeof(what), "it now reads \"%s\", not \"%s\"",
				 now, t->want);
			show_bad(tl, file, v, what);
			memcpy(t->want, now, sizeof(now));
		}
	} else {
		mt = meminfo_kb("MemTotal");
		if (mt != memtotal) {
			snprintf(what, sizeof(what), "MemTotal %ld kB, was %ld kB",
				 mt, memtotal);
			show_bad(tl, file, v, what);
			memtotal = mt;
		}
	}
}

static void fuzz_class(struct fileclass *fcs, int nfc, struct fileclass *fc, int cls)
{
	struct tally tl = { 0 };
	int step = cls == V_LONG || cls == V_NUL ? 1 : stride;
	int i, j, want, changed;

	for (j = 0; j < fc->nt; j++) {
		struct target *t = &fc->t[j];

		for (i = 0; i < nvalues[cls]; i++) {
			const struct value *v = &values[cls][i];

			if (i % step)
				continue;
			if (!t->full && (i / step + t->block) % SAMPLE)
				continue;
			want = expect(fc, v);
			if (want == NOT_SENT_VALID) {
				tl.valid += t->full;
				continue;
			}
			if (want == NOT_SENT_UNSAFE) {
				tl.unsafe += t->full;
				continue;
			}
			fuzz_one(t, v, want, &tl);
		}
	}
	if (tl.bad > SHOW_MAX)
		ktap_diag("  ... and %d more", tl.bad - SHOW_MAX);
	changed = check_all(fcs, nfc);
	ktap_diag("%s, %s: %d writes, %d mismatches; not written: %d accepted, %d acting on memory",
		  fc->name, vclass_name[cls], tl.writes, tl.bad, tl.valid, tl.unsafe);
	if (!tl.writes) {
		ktap_skip("every such value is accepted here", "%s: %s values",
			  fc->name, vclass_name[cls]);
		return;
	}
	ktap_ok(!tl.bad && !changed, "%s: %s values", fc->name, vclass_name[cls]);
}

/* ---- the files ----------------------------------------------------------- */

static void restore_files(void)
{
	char now[LINE_MAX_LEN];
	int i;

	if (orig_auto[0]) {
		read_file(MEM_DIR "/auto_online_blocks", now, sizeof(now));
		if (strcmp(now, orig_auto) &&
		    write_file(MEM_DIR "/auto_online_blocks", orig_auto))
			ktap_diag("could not restore auto_online_blocks to %s", orig_auto);
	}
	for (i = 0; i < nrestore; i++) {
		const char *path = restore_fc[i]->t[0].path;

		read_file(path, now, sizeof(now));
		if (strcmp(now, restore_val[i]) && write_file(path, restore_val[i]))
			ktap_diag("could not restore %s to %s", path, restore_val[i]);
	}
}

/* add_target: fc gets path (readable or not); 0, or -1 if it is not writable */
static int add_target(struct fileclass *fc, const char *path, int readable,
		      int block, int full)
{
	struct target *t;
	struct stat st;

	if (stat(path, &st) || !(st.st_mode & 0222))
		return -1;
	fc->t = realloc(fc->t, (fc->nt + 1) * sizeof(*t));
	if (!fc->t)
		ktap_skip_all("out of memory");
	t = &fc->t[fc->nt];
	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->block = block;
	t->full = full;
	if (readable && read_file(path, t->want, sizeof(t->want)))
		return -1;
	t->fd = open(path, O_WRONLY);
	if (t->fd < 0)
		return -1;
	fc->nt++;
	return 0;
}

static void add_blocks(struct fileclass *fc, char state, const char *file)
{
	char path[160];
	int id, full = -1;

	/* the first offline block, the last online one get every value */
	for (id = 0; id <= max_id; id++)
		if (bstate[id] == state && (full < 0 || state == 'n'))
			full = id;
	for (id = 0; id <= max_id; id++) {
		if (bstate[id] != state)
			continue;
		snprintf(path, sizeof(path), MEM_DIR "/memory%d/%s", id, file);
		add_target(fc, path, 1, id, id == full);
	}
}

int main(void)
{
	struct fileclass fcs[] = {
		{ .name = "auto_online_blocks", .model = M_WORDS, .words = online_types },
		{ .name = "state of offline blocks", .model = M_WORDS, .words = online_types },
		{ .name = "state of online blocks", .model = M_WORDS, .words = online_types },
		{ .name = "online of offline blocks", .model = M_BOOL },
		{ .name = "online of online blocks", .model = M_BOOL },
		{ .name = "probe", .model = M_PROBE },
		{ .name = "soft_offline_page", .model = M_SOFT },
		{ .name = "hard_offline_page", .model = M_HARD },
		{ .name = "online_policy", .model = M_WORDS, .words = policies },
		{ .name = "auto_movable_ratio", .model = M_UINT },
		{ .name = "auto_movable_numa_aware", .model = M_BOOL },
		/* Ours only: skipped where the file is not there. */
		{ .name = "offline_timeout_ms", .model = M_UINT_EINVAL },
	};
	const int nfc = ARRAY_SIZE(fcs);
	const char *env = getenv("MHP_FUZZ_STRIDE");
	char path[160];
	int i, cls, n = 0, nblocks = 0;

	ktap_start();
	if (env && atoi(env) > 1)
		stride = atoi(env);
	if (geteuid())
		ktap_skip_all("must be run as root");
	if (access(MEM_DIR "/block_size_bytes", R_OK))
		ktap_skip_all("no " MEM_DIR ": kernel without CONFIG_MEMORY_HOTPLUG");
	page_size = sysconf(_SC_PAGESIZE);
	bsz = block_size();
	if (!bsz)
		ktap_skip_all("block_size_bytes unreadable");
	read_blocks();
	memtotal = meminfo_kb("MemTotal");
	hwcorrupt = meminfo_kb("HardwareCorrupted");

	if (!add_target(&fcs[0], MEM_DIR "/auto_online_blocks", 1, -1, 1))
		memcpy(orig_auto, fcs[0].t[0].want, LINE_MAX_LEN);
	ktap_cleanup = restore_files;
	add_blocks(&fcs[1], 'f', "state");
	add_blocks(&fcs[2], 'n', "state");
	add_blocks(&fcs[3], 'f', "online");
	add_blocks(&fcs[4], 'n', "online");
	add_target(&fcs[5], MEM_DIR "/probe", 0, -1, 1);
	add_target(&fcs[6], MEM_DIR "/soft_offline_page", 0, -1, 1);
	add_target(&fcs[7], MEM_DIR "/hard_offline_page", 0, -1, 1);
	for (i = 8; i < nfc; i++) {
		snprintf(path, sizeof(path), PARAM_DIR "/%s", fcs[i].name);
		if (add_target(&fcs[i], path, 1, -1, 1))
			continue;
		restore_fc[nrestore] = &fcs[i];
		memcpy(restore_val[nrestore++], fcs[i].t[0].want, LINE_MAX_LEN);
	}

	gen_values();
	for (cls = 0; cls < NR_VCLASS; cls++)
		n += nvalues[cls];
	for (i = 0; i <= max_id; i++)
		nblocks += !!bstate[i];
	ktap_diag("%d values; block size 0x%llx, %d blocks up to memory%d", n, bsz,
		  nblocks, max_id);

	for (i = 0; i < nfc; i++) {
		if (!fcs[i].nt) {
			ktap_skip("not writable or not there", "%s", fcs[i].name);
			continue;
		}
		for (cls = 0; cls < NR_VCLASS; cls++)
			fuzz_class(fcs, nfc, &fcs[i], cls);
	}
	ktap_diag("fuzzed %ld writes, %ld mismatches, MHP_FUZZ_STRIDE %d",
		  total_writes, total_bad, stride);
	ktap_finish();
}
