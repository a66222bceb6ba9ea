import datetime

from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from kube_ecs import certs

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def test_service_dns_names():
    assert certs.service_dns_names("hook", "ns") == ["hook", "hook.ns", "hook.ns.svc", "hook.ns.svc.cluster.local"]


def test_serving_certificate_verifies_against_its_ca_for_the_service_name():
    issued = certs.issue(certs.service_dns_names("hook", "ns"), now=NOW, valid_for=datetime.timedelta(days=30))
    ca, cert = x509.load_pem_x509_certificate(issued.ca), x509.load_pem_x509_certificate(issued.cert)
    # How the API server checks it: the caBundle as the only root, the Service's DNS name as the server name.
    verifier = (PolicyBuilder().store(Store([ca])).time(NOW + datetime.timedelta(days=1))
                .build_server_verifier(x509.DNSName("hook.ns.svc")))
    chain = verifier.verify(cert, [])
    assert chain[-1] == ca
    assert issued.not_after == NOW + datetime.timedelta(days=30)
    assert cert.not_valid_before_utc < NOW  # backdated for clock skew


def test_each_issue_is_a_new_ca():
    a = certs.issue(["x"], now=NOW, valid_for=datetime.timedelta(days=1))
    b = certs.issue(["x"], now=NOW, valid_for=datetime.timedelta(days=1))
    assert a.ca != b.ca and a.key != b.key
