"""The data behind the demo district (see demo.py): Pingshan's subdistricts and clusters, the
organisations and demo logins, and the tables the enterprise generator draws from.

Everything here is demo content. Subdistrict codes follow the pattern of the statistical division codes
(district code 440310 + a three-digit number); check them against the official list before using them
for real data. Organisation names are generic and fictitious except for the district's government
bodies, which are named as they are commonly known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finbridge.accounts.choices import BankTier, OrgType, Role

DISTRICT = {"code": "440310", "name_zh": "坪山区", "name_en": "Pingshan District"}

# (code, Chinese, English, weight of enterprises registered there)
SUBDISTRICTS: tuple[tuple[str, str, str, int], ...] = (
    ("440310001", "坪山", "Pingshan", 20),
    ("440310002", "马峦", "Maluan", 12),
    ("440310003", "碧岭", "Biling", 9),
    ("440310004", "石井", "Shijing", 13),
    ("440310005", "坑梓", "Kengzi", 26),
    ("440310006", "龙田", "Longtian", 20),
)

# The district's "6+3" clusters. The first six are the leading industries DESIGN.md §4 names. The other
# three are taken from Shenzhen's "20+8" cluster list and fit Pingshan's existing base: intelligent
# sensors (supplying the vehicle and electronics makers), high-end medical devices (next to the
# biomedicine base) and synthetic biology (a future industry growing out of the same base). Clusters are
# data: a district edits them without code changes.
CLUSTERS: tuple[tuple[str, str, str], ...] = (
    ("nev-icv", "新能源与智能网联汽车", "New-energy and intelligent connected vehicles"),
    ("biomedicine", "生物医药", "Biomedicine"),
    ("ic-next-gen-it", "集成电路与新一代信息技术", "Integrated circuits and next-generation IT"),
    ("energy-storage", "新型储能", "New-type energy storage"),
    ("new-materials", "新材料", "New materials"),
    ("low-altitude", "低空经济", "Low-altitude economy"),
    ("intelligent-sensors", "智能传感器", "Intelligent sensors"),
    ("medical-devices", "高端医疗器械", "High-end medical devices"),
    ("synthetic-biology", "合成生物", "Synthetic biology"),
)


@dataclass(frozen=True)
class OrgSpec:
    """One demo organisation. `key` names it inside the loader; `parent` is another spec's key."""

    key: str
    org_type: str
    name: str
    name_en: str
    bank_tier: str = ""
    parent: str = ""
    subdistrict: str = ""  # Subdistrict.code, for subdistrict offices
    industry_sectors: tuple[str, ...] = field(default_factory=tuple)


ORGANISATIONS: tuple[OrgSpec, ...] = (
    OrgSpec(
        "district_authority",
        OrgType.DISTRICT_AUTHORITY,
        "坪山区发展和改革局",
        "Pingshan District Development and Reform Bureau",
    ),
    OrgSpec(
        "industry_it",
        OrgType.INDUSTRY_AUTHORITY,
        "坪山区工业和信息化局",
        "Pingshan District Industry and Information Technology Bureau",
        industry_sectors=("B", "C", "D"),
    ),
    OrgSpec(
        "science_tech",
        OrgType.INDUSTRY_AUTHORITY,
        "坪山区科技创新局",
        "Pingshan District Science, Technology and Innovation Bureau",
        industry_sectors=("I", "M"),
    ),
    OrgSpec(
        "commerce",
        OrgType.INDUSTRY_AUTHORITY,
        "坪山区商务局",
        "Pingshan District Commerce Bureau",
        industry_sectors=("F", "G", "H", "L"),
    ),
    OrgSpec(
        "housing",
        OrgType.INDUSTRY_AUTHORITY,
        "坪山区住房和建设局",
        "Pingshan District Housing and Construction Bureau",
        industry_sectors=("E", "K"),
    ),
    *(
        OrgSpec(
            f"subdistrict_{code}",
            OrgType.SUBDISTRICT_OFFICE,
            f"坪山区{name_zh}街道办事处",
            f"{name_en} Subdistrict Office, Pingshan District",
            subdistrict=code,
        )
        for code, name_zh, name_en, _weight in SUBDISTRICTS
    ),
    OrgSpec(
        "bank_head",
        OrgType.BANK,
        "鹏城商业银行股份有限公司",
        "Pengcheng Commercial Bank Co., Ltd.",
        bank_tier=BankTier.HEAD_OFFICE,
    ),
    OrgSpec(
        "bank_branch",
        OrgType.BANK,
        "鹏城商业银行深圳坪山支行",
        "Pengcheng Commercial Bank, Shenzhen Pingshan Branch",
        bank_tier=BankTier.BRANCH,
        parent="bank_head",
    ),
    OrgSpec(
        "bank_scitech",
        OrgType.BANK,
        "鹏城商业银行深圳坪山科技支行",
        "Pengcheng Commercial Bank, Shenzhen Pingshan Sci-Tech Branch",
        bank_tier=BankTier.SCITECH_BRANCH,
        parent="bank_head",
    ),
    OrgSpec(
        "bank2_head",
        OrgType.BANK,
        "粤海农村商业银行股份有限公司",
        "Yuehai Rural Commercial Bank Co., Ltd.",
        bank_tier=BankTier.HEAD_OFFICE,
    ),
    OrgSpec(
        "bank2_branch",
        OrgType.BANK,
        "粤海农村商业银行坪山支行",
        "Yuehai Rural Commercial Bank, Pingshan Branch",
        bank_tier=BankTier.BRANCH,
        parent="bank2_head",
    ),
    OrgSpec(
        "guarantor",
        OrgType.GUARANTOR,
        "深圳市坪山融资担保有限公司",
        "Shenzhen Pingshan Financing Guarantee Co., Ltd.",
    ),
    OrgSpec(
        "insurer",
        OrgType.INSURER,
        "鹏安财产保险股份有限公司深圳分公司",
        "Peng'an Property Insurance Co., Ltd., Shenzhen Branch",
    ),
    OrgSpec(
        "investor",
        OrgType.INVESTOR,
        "深圳市坪山种子创业投资基金管理有限公司",
        "Shenzhen Pingshan Seed Venture Fund Management Co., Ltd.",
    ),
    OrgSpec(
        "securities",
        OrgType.SECURITIES_FIRM,
        "南岭证券股份有限公司深圳分公司",
        "Nanling Securities Co., Ltd., Shenzhen Branch",
    ),
    OrgSpec(
        "core_enterprise",
        OrgType.CORE_ENTERPRISE,
        "深圳市坪山新能源汽车制造有限公司",
        "Shenzhen Pingshan New Energy Vehicle Manufacturing Co., Ltd.",
    ),
    OrgSpec(
        "msme",
        OrgType.MSME,
        "深圳市坪山晶芯微电子有限公司",
        "Shenzhen Pingshan Jingxin Microelectronics Co., Ltd.",
    ),
)

KENGZI = "440310005"

# (username, organisation key, role, display name)
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("authority_admin", "district_authority", Role.ADMIN, "陈静"),
    ("industry_staff", "industry_it", Role.STAFF, "刘洋"),
    ("subdistrict_staff", f"subdistrict_{KENGZI}", Role.STAFF, "黄丽"),
    ("bank_staff", "bank_branch", Role.STAFF, "王磊"),
    ("scitech_branch_staff", "bank_scitech", Role.STAFF, "张敏"),
    ("guarantor_staff", "guarantor", Role.STAFF, "李强"),
    ("insurer_staff", "insurer", Role.STAFF, "周婷"),
    ("investor_staff", "investor", Role.STAFF, "吴昊"),
    ("securities_staff", "securities", Role.STAFF, "郑雪"),
    ("core_enterprise_staff", "core_enterprise", Role.STAFF, "孙涛"),
    ("msme_owner", "msme", Role.ADMIN, "林晓"),
)

# Organisations enterprises grant consent to, with a relative weight.
CONSENT_GRANTEES: tuple[tuple[str, int], ...] = (
    ("bank_branch", 30),
    ("bank_scitech", 22),
    ("bank_head", 6),
    ("bank2_branch", 14),
    ("guarantor", 12),
    ("insurer", 8),
    ("investor", 6),
    ("securities", 2),
    ("core_enterprise", 4),  # suppliers and distributors sharing with the core enterprise (supply chain)
)


@dataclass(frozen=True)
class Industry:
    """An industry the generator draws: a GB/T 4754-2017 class code, its weight, clusters and name words."""

    code: str
    weight: float
    clusters: tuple[str, ...]
    words: str  # key of NAME_WORDS


# Name words per kind of business: (Chinese, English) as they appear in company names.
NAME_WORDS: dict[str, tuple[tuple[str, str], ...]] = {
    "vehicle": (
        ("汽车科技", "Automotive Technology"),
        ("新能源汽车", "New Energy Vehicle"),
        ("汽车零部件", "Auto Parts"),
        ("智能驾驶", "Intelligent Driving"),
        ("汽车电子", "Automotive Electronics"),
    ),
    "battery": (
        ("新能源", "New Energy"),
        ("储能科技", "Energy Storage Technology"),
        ("电池", "Battery"),
        ("能源科技", "Energy Technology"),
        ("电力电子", "Power Electronics"),
    ),
    "pharma": (
        ("生物医药", "Biopharmaceutical"),
        ("医药科技", "Pharmaceutical Technology"),
        ("生物科技", "Biotechnology"),
        ("制药", "Pharmaceutical"),
        ("药业", "Pharmaceutical"),
    ),
    "electronics": (
        ("微电子", "Microelectronics"),
        ("半导体", "Semiconductor"),
        ("电子科技", "Electronic Technology"),
        ("光电", "Optoelectronics"),
        ("电子", "Electronics"),
        ("通信技术", "Communication Technology"),
    ),
    "software": (
        ("信息技术", "Information Technology"),
        ("软件", "Software"),
        ("数据科技", "Data Technology"),
        ("网络科技", "Network Technology"),
        ("智能科技", "Intelligent Technology"),
    ),
    "materials": (
        ("新材料", "New Materials"),
        ("材料科技", "Materials Technology"),
        ("高分子材料", "Polymer Materials"),
        ("塑胶制品", "Plastic Products"),
    ),
    "aviation": (
        ("无人机", "UAV"),
        ("航空科技", "Aviation Technology"),
        ("智能飞行器", "Intelligent Aircraft"),
        ("通用航空", "General Aviation"),
    ),
    "instruments": (
        ("传感技术", "Sensing Technology"),
        ("仪器", "Instruments"),
        ("智能装备", "Intelligent Equipment"),
        ("自动化", "Automation"),
    ),
    "medical": (("医疗器械", "Medical Devices"), ("医疗科技", "Medical Technology"), ("精密医疗", "Precision Medical")),
    "biotech": (("合成生物", "Synthetic Biology"), ("生物技术", "Biotechnology"), ("生命科学", "Life Sciences")),
    "research": (("生物技术", "Biotechnology"), ("检测技术", "Testing Technology"), ("科技", "Technology")),
    "machinery": (
        ("精密机械", "Precision Machinery"),
        ("五金制品", "Hardware Products"),
        ("机电", "Electromechanical"),
        ("实业", "Industrial"),
        ("模具", "Mould"),
    ),
    "wholesale": (
        ("贸易", "Trading"),
        ("商贸", "Trading"),
        ("供应链", "Supply Chain"),
        ("进出口", "Import and Export"),
    ),
    "retail": (("商行", "Store"), ("汽车销售", "Auto Sales"), ("通讯器材", "Telecom Equipment")),
    "hotel": (("酒店管理", "Hotel Management"), ("酒店", "Hotel")),
    "catering": (("餐饮管理", "Catering Management"), ("餐饮", "Catering"), ("饮食", "Food")),
    "logistics": (
        ("物流", "Logistics"),
        ("运输", "Transport"),
        ("供应链管理", "Supply Chain Management"),
        ("仓储", "Warehousing"),
    ),
    "construction": (
        ("建筑工程", "Construction Engineering"),
        ("建设工程", "Construction"),
        ("机电安装", "M&E Installation"),
    ),
    "property": (("物业管理", "Property Management"), ("房地产开发", "Real Estate Development")),
    "business": (
        ("投资管理", "Investment Management"),
        ("会展服务", "Exhibition Services"),
        ("企业管理咨询", "Business Consulting"),
    ),
    "services": (
        ("工程设计", "Engineering Design"),
        ("工业设计", "Industrial Design"),
        ("知识产权代理", "IP Agency"),
        ("科技服务", "Technology Services"),
    ),
    "household": (("家政服务", "Household Services"),),
    "power": (("电力", "Power"), ("能源", "Energy")),
    "agriculture": (("农业科技", "Agricultural Technology"), ("生态农业", "Eco-agriculture")),
}

INDUSTRIES: tuple[Industry, ...] = (
    # New-energy and intelligent connected vehicles
    Industry("C3612", 1, ("nev-icv",), "vehicle"),
    Industry("C3670", 7, ("nev-icv",), "vehicle"),
    Industry("C3660", 1, ("nev-icv",), "vehicle"),
    Industry("C3630", 1, ("nev-icv",), "vehicle"),
    # New-type energy storage
    Industry("C3841", 4, ("energy-storage", "nev-icv"), "battery"),
    Industry("C3849", 1, ("energy-storage",), "battery"),
    Industry("C3824", 2, ("energy-storage",), "battery"),
    Industry("C3825", 1, ("energy-storage",), "battery"),
    # Biomedicine
    Industry("C2710", 1, ("biomedicine",), "pharma"),
    Industry("C2720", 3, ("biomedicine",), "pharma"),
    Industry("C2761", 2, ("biomedicine",), "pharma"),
    Industry("C2762", 1, ("biomedicine",), "pharma"),
    Industry("C2770", 1, ("biomedicine",), "pharma"),
    Industry("M7340", 2, ("biomedicine",), "research"),
    # Integrated circuits and next-generation IT
    Industry("C3973", 2, ("ic-next-gen-it",), "electronics"),
    Industry("C3972", 1, ("ic-next-gen-it",), "electronics"),
    Industry("C3974", 1, ("ic-next-gen-it",), "electronics"),
    Industry("C3976", 2, ("ic-next-gen-it",), "electronics"),
    Industry("C3981", 2, ("ic-next-gen-it",), "electronics"),
    Industry("C3982", 3, ("ic-next-gen-it",), "electronics"),
    Industry("C3921", 2, ("ic-next-gen-it",), "electronics"),
    Industry("C3914", 1, ("ic-next-gen-it",), "electronics"),
    Industry("C3562", 1, ("ic-next-gen-it",), "machinery"),
    Industry("I6520", 2, ("ic-next-gen-it",), "electronics"),
    Industry("I6513", 5, ("ic-next-gen-it",), "software"),
    Industry("I6531", 3, ("ic-next-gen-it",), "software"),
    Industry("I6550", 1, ("ic-next-gen-it",), "software"),
    # New materials
    Industry("C3985", 2, ("new-materials", "ic-next-gen-it"), "materials"),
    Industry("C3091", 1, ("new-materials", "energy-storage"), "materials"),
    Industry("C3240", 1, ("new-materials",), "materials"),
    Industry("C2651", 1, ("new-materials",), "materials"),
    Industry("C2929", 2, ("new-materials",), "materials"),
    # Low-altitude economy
    Industry("C3963", 2, ("low-altitude",), "aviation"),
    Industry("C3744", 1, ("low-altitude",), "aviation"),
    Industry("G5621", 1, ("low-altitude",), "aviation"),
    # Intelligent sensors
    Industry("C3983", 2, ("intelligent-sensors", "ic-next-gen-it"), "instruments"),
    Industry("C4011", 1, ("intelligent-sensors",), "instruments"),
    Industry("C4014", 1, ("intelligent-sensors",), "instruments"),
    # High-end medical devices
    Industry("C3581", 2, ("medical-devices", "biomedicine"), "medical"),
    Industry("C3589", 1, ("medical-devices",), "medical"),
    Industry("C3586", 1, ("medical-devices",), "medical"),
    # Synthetic biology
    Industry("C2662", 1, ("synthetic-biology",), "biotech"),
    Industry("M7310", 1, ("synthetic-biology", "biomedicine"), "biotech"),
    # Outside the clusters: the ordinary economy of the district
    Industry("C3484", 4, (), "machinery"),
    Industry("C3311", 1, (), "machinery"),
    Industry("C3831", 1, (), "machinery"),
    Industry("C3599", 2, (), "machinery"),
    Industry("C2319", 1, (), "materials"),
    Industry("F5179", 4, (), "wholesale"),
    Industry("F5176", 2, (), "wholesale"),
    Industry("F5139", 1, (), "wholesale"),
    Industry("F5261", 1, (), "retail"),
    Industry("F5274", 1, (), "retail"),
    Industry("H6110", 1, (), "hotel"),
    Industry("H6210", 2, (), "catering"),
    Industry("H6220", 2, (), "catering"),
    Industry("G5431", 2, (), "logistics"),
    Industry("G5990", 1, (), "logistics"),
    Industry("E4710", 1, (), "construction"),
    Industry("E4910", 1, (), "construction"),
    Industry("K7010", 0.3, (), "property"),
    Industry("K7020", 1, (), "property"),
    Industry("L7212", 1, (), "business"),
    Industry("L7281", 1, (), "business"),
    Industry("I6540", 2, (), "software"),
    Industry("M7520", 1, (), "services"),
    Industry("M7484", 1, (), "services"),
    Industry("M7491", 1, (), "services"),
    Industry("O8010", 1, (), "household"),
    Industry("D4420", 0.3, (), "power"),
    Industry("A0141", 0.3, (), "agriculture"),
)

# Characters of company trade names (字号) with their pinyin, for Chinese and English names.
_BRAND_PAIRS = (
    "华:Hua 鑫:Xin 创:Chuang 源:Yuan 达:Da 盛:Sheng 泰:Tai 宏:Hong 瑞:Rui 丰:Feng 恒:Heng 博:Bo 晟:Sheng "
    "睿:Rui 新:Xin 联:Lian 汇:Hui 智:Zhi 航:Hang 星:Xing 海:Hai 天:Tian 嘉:Jia 德:De 安:An 信:Xin 金:Jin "
    "利:Li 通:Tong 腾:Teng 锦:Jin 誉:Yu 隆:Long 昌:Chang 旭:Xu 昊:Hao 凯:Kai 峰:Feng 佳:Jia 卓:Zhuo 越:Yue "
    "铭:Ming 伟:Wei 宇:Yu 辉:Hui 耀:Yao 弘:Hong 坤:Kun 致:Zhi 远:Yuan 鹏:Peng 翔:Xiang 思:Si 捷:Jie 诚:Cheng "
    "合:He 力:Li 美:Mei 明:Ming 光:Guang 正:Zheng 中:Zhong 元:Yuan 永:Yong 长:Chang 东:Dong 方:Fang 南:Nan "
    "龙:Long 凤:Feng 麒:Qi 麟:Lin 骏:Jun 驰:Chi 芯:Xin 微:Wei 能:Neng 储:Chu 康:Kang 健:Jian 禾:He 绿:Lv "
    "蓝:Lan 青:Qing 云:Yun 峻:Jun 岭:Ling 湾:Wan 港:Gang 澜:Lan 沣:Feng 霖:Lin 雷:Lei 晶:Jing 磊:Lei 钧:Jun "
    "锐:Rui 极:Ji 量:Liang 拓:Tuo 普:Pu 维:Wei 森:Sen 林:Lin 川:Chuan 启:Qi 迪:Di 威:Wei 奥:Ao 赛:Sai"
)
BRAND_CHARS: tuple[tuple[str, str], ...] = tuple((pair[0], pair[2:]) for pair in _BRAND_PAIRS.split())

NAME_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("有限公司", "Co., Ltd.", 88),
    ("股份有限公司", "Co., Ltd. (joint-stock)", 8),
    ("集团有限公司", "Group Co., Ltd.", 1),
    ("有限责任公司", "Co., Ltd.", 3),
)

ROAD_WORDS: tuple[str, ...] = ("路", "大道", "街", "一路", "二路")
PARK_WORDS: tuple[str, ...] = ("科技园", "工业园", "产业园", "创新园", "智造园", "工业区", "创意园")

CONTACT_TITLES: tuple[str, ...] = ("总经理", "财务总监", "财务经理", "行政主管", "董事会秘书", "融资专员", "副总经理")
