# man/: the manual pages, written once in mdoc(7); tests/ops/man-lint.sh
# checks them with mandoc -T lint and man --warnings.
dist_man_MANS = man/backchanneld.8 man/backchannelctl.8 man/backchannel.xml.5
