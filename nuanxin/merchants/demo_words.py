"""Word lists for the demo city's merchants (Bozhou, 亳州). Plausible, not real businesses."""

from typing import Any

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然佳欣雪梅志军海燕晓东春红俊峰丹丹亮婷雯琳颖慧博"

# district code → (sub-district 街道 names, road names)
STREETS = {
    "QC-N": (
        ["花戏楼街道", "薛阁街道", "汤陵街道"],
        ["人民路", "光明路", "魏武大道", "建安路", "中华路", "天王路", "北关街"],
    ),
    "QC-S": (
        ["火神庙街道", "汤王街道", "芍花街道"],
        ["芍花路", "汤王大道", "文帝路", "牡丹路", "紫苑路", "桑园路"],
    ),
    "GX-E": (
        ["古井街道", "魏岗街道"],
        ["希夷大道", "药都大道", "合欢路", "创新大道", "庄周路", "银杏路"],
    ),
    "JK-E": (
        ["十九里街道", "牛集街道"],
        ["汤王大道", "蒙城路", "华佗大道", "工业路", "经开大道", "亳芜大道"],
    ),
}

DISTRICT_NAMES = {"QC-N": "谯城区", "QC-S": "谯城区", "GX-E": "高新区", "JK-E": "经开区"}

# category → (individual shop patterns, enterprise brands, share of food licence)
# Patterns: {s} surname, {road} road name, {item} item from the category's items.
CATEGORIES: dict[str, dict[str, Any]] = {
    "餐饮": {
        "weight": 30,
        "patterns": ["老{s}{item}", "{s}记{item}", "{s}家{item}", "{road}{item}", "{s}师傅{item}"],
        "items": [
            "烧烤",
            "牛肉汤",
            "包子铺",
            "面馆",
            "饺子馆",
            "砂锅",
            "卤菜",
            "小炒",
            "馄饨店",
            "炸鸡",
            "麻辣烫",
            "羊肉汤",
            "油茶",
            "烙馍卷",
            "涮锅",
            "快餐",
        ],
        "brands": ["古井酒家", "华佗养生餐厅", "亳州老街饭庄", "蜜雪冰城", "正新鸡排", "德克士"],
        "food": True,
    },
    "零售": {
        "weight": 25,
        "patterns": ["{s}记{item}", "{road}{item}", "{s}氏{item}", "惠民{item}"],
        "items": ["便利店", "水果店", "烟酒店", "粮油店", "日杂店", "副食店", "超市", "母婴店"],
        "brands": ["华联超市", "苏果超市", "联华超市", "红旗连锁", "美宜佳便利店", "百大合家福"],
        "food": True,
    },
    "医药": {
        "weight": 8,
        "patterns": ["{s}氏{item}", "{road}{item}", "济生{item}"],
        "items": ["大药房", "药店", "中药饮片店", "诊所"],
        "brands": ["同仁堂大药房", "国药控股大药房", "华佗国药", "老百姓大药房", "益丰大药房"],
        "food": False,
    },
    "美容美发": {
        "weight": 8,
        "patterns": ["{s}{item}", "{road}{item}", "时尚{item}"],
        "items": ["理发店", "美发工作室", "美甲店", "美容院"],
        "brands": ["永琪美容美发", "丝域养发"],
        "food": False,
    },
    "汽修": {
        "weight": 6,
        "patterns": ["{s}记{item}", "{road}{item}"],
        "items": ["汽车修理厂", "轮胎店", "洗车行", "电动车维修"],
        "brands": ["途虎养车工场店", "天猫养车"],
        "food": False,
    },
    "五金建材": {
        "weight": 7,
        "patterns": ["{s}记{item}", "{road}{item}", "兴旺{item}"],
        "items": ["五金店", "建材商行", "灯具店", "水暖店"],
        "brands": ["红星美凯龙", "东方雨虹专卖店"],
        "food": False,
    },
    "服装": {
        "weight": 8,
        "patterns": ["{s}氏{item}", "{road}{item}", "靓衣{item}"],
        "items": ["服装店", "鞋店", "童装店", "裁缝铺"],
        "brands": ["海澜之家", "森马", "波司登", "李宁"],
        "food": False,
    },
    "住宿": {
        "weight": 4,
        "patterns": ["{road}{item}", "{s}家{item}"],
        "items": ["宾馆", "旅社", "快捷酒店"],
        "brands": ["汉庭酒店", "如家酒店", "锦江之星"],
        "food": False,
    },
    "中药材": {
        "weight": 4,
        "patterns": ["{s}记{item}", "亳州{s}氏{item}"],
        "items": ["药材行", "中药材商行", "花茶店"],
        "brands": ["亳州药都中药材", "康美药业"],
        "food": True,
    },
}

BRANCH_SUFFIX = {"QC-N": "谯城店", "QC-S": "南京巷店", "GX-E": "高新区店", "JK-E": "经开区店"}
ISSUERS = {
    "business": "亳州市市场监督管理局",
    "food": "亳州市市场监督管理局",
    "signboard": "亳州市城市管理局",
    "outdoor_ad": "亳州市城市管理局",
}
