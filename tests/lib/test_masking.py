from nuanxin.lib.masking import mask_id_number, mask_name, mask_phone


def test_it_keeps_only_the_surname() -> None:
    assert mask_name("王大明") == "王**"
    assert mask_name("王明") == "王*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("王") == "*"
    assert mask_name("") == ""
    assert mask_name(None) == ""


def test_it_masks_the_middle_of_a_mobile_number() -> None:
    assert mask_phone("13905581234") == "139****1234"
    assert mask_phone("+86 139 0558 1234") == "139****1234"
    assert mask_phone("139-0558-1234") == "139****1234"


def test_it_masks_landlines_and_short_numbers() -> None:
    assert mask_phone("0558-5123456") == "0558-****456"
    assert mask_phone("12319") == "***19"
    assert mask_phone("110") == "***"
    assert mask_phone("") == ""


def test_it_masks_id_numbers_keeping_region_and_tail() -> None:
    assert mask_id_number("34160219900101123x") == "341602********123X"
    assert mask_id_number("341602900101123") == "341602*****1123"
    assert mask_id_number("G12345678") == "G1*****78"
    assert "19900101" not in mask_id_number("341602199001011234")
