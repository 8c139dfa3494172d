/*
 * main.c - backchanneld's command line.  Everything else lives in
 * libbackchannel.a so that tests can reach it.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "component/daemon.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: backchanneld -c FILE [-v]... [--log-file FILE]\n"
		"       backchanneld -c FILE --check-config\n"
		"       backchanneld --version\n"
		"\n"
		"  -c, --config FILE   the configuration file (required)\n"
		"      --check-config  validate the configuration and exit\n"
		"  -v, --verbose       log more (repeat for debug)\n"
		"  -l, --log-file FILE log to FILE instead of stderr "
		"(SIGHUP reopens it)\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},
		{"log-file", required_argument, NULL, 'l'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct daemon_opts opts = {NULL, 0, NULL};
	int check = 0, ch;

	while ((ch = getopt_long(argc, argv, "c:vl:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opts.config_path = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'v':
			opts.verbose++;
			break;
		case 'l':
			opts.log_file = optarg;
			break;
		case 'V':
			printf("backchanneld %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "backchanneld: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (opts.config_path == NULL) {
		fprintf(stderr, "backchanneld: -c FILE is required\n");
		usage(stderr);
		return 2;
	}
	if (check)
		return daemon_check_config(opts.config_path);
	return daemon_run(&opts);
}
