from django.apps import AppConfig


class DoorcodesConfig(AppConfig):
    name = "nuanxin.doorcodes"
    label = "doorcodes"
    verbose_name = "信息认证码"
