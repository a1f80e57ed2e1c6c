"""Reference lists: subdistricts, clusters and the industry classification, for any signed-in user."""

from __future__ import annotations

import pytest

from finbridge.accounts.choices import OrgType, Role
from finbridge.accounts.tests.factories import ClusterFactory, SubdistrictFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api_client):
    api_client.force_authenticate(member_of(OrgType.MSME, Role.VIEWER))
    return api_client


def test_subdistricts(signed_in):
    SubdistrictFactory(code="440310002", name_zh="马峦", name_en="Maluan")
    SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    body = signed_in.get("/api/v1/subdistricts/").json()
    assert body == [
        {"code": "440310001", "name": "Pingshan", "name_zh": "坪山", "name_en": "Pingshan"},
        {"code": "440310002", "name": "Maluan", "name_zh": "马峦", "name_en": "Maluan"},
    ]


def test_names_follow_the_language(signed_in):
    SubdistrictFactory(code="440310001", name_zh="坪山", name_en="Pingshan")
    body = signed_in.get("/api/v1/subdistricts/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body[0]["name"] == "坪山"


def test_clusters(signed_in):
    ClusterFactory(code="low-altitude", name_zh="低空经济", name_en="Low-altitude economy")
    assert signed_in.get("/api/v1/clusters/").json() == [
        {
            "code": "low-altitude",
            "name": "Low-altitude economy",
            "name_zh": "低空经济",
            "name_en": "Low-altitude economy",
        }
    ]


def test_industries_by_code_prefix_and_by_name(signed_in):
    by_code = signed_in.get("/api/v1/industries/", {"q": "i65", "page_size": 100}).json()
    codes = [row["code"] for row in by_code["results"]]
    assert codes[0] == "I65"
    assert all(code.startswith("I65") for code in codes)
    assert by_code["count"] == len(codes)

    by_name = signed_in.get("/api/v1/industries/", {"q": "软件开发", "level": "group"}).json()["results"]
    assert [row["code"] for row in by_name] == ["I651"]
    assert by_name[0]["parent"] == "I65"


def test_industries_are_paginated(signed_in):
    body = signed_in.get("/api/v1/industries/", {"level": "section"}).json()
    assert body["count"] == 20
    assert [row["code"] for row in body["results"]][:3] == ["A", "B", "C"]


def test_bad_level_is_400(signed_in):
    body = signed_in.get("/api/v1/industries/", {"level": "chapter"}).json()
    assert body["code"] == "invalid_filter"
    assert "level" in body["fields"]


@pytest.mark.parametrize("url", ["/api/v1/subdistricts/", "/api/v1/clusters/", "/api/v1/industries/"])
def test_reference_lists_need_a_signed_in_user(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    api_client.force_authenticate(UserFactory())
    assert api_client.get(url).status_code == 200
