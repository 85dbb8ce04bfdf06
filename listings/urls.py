"""URLs of the lists for signed-in users, mounted at /listings/: the list (with removed entries), export, an entry's
page and rename, and the import of historical lists."""

from django.urls import path

from . import views, views_imports

urlpatterns = [
    path("", views.listing_list, name="listing-list"),
    path("export/", views.listing_export, name="listing-export"),
    path("<int:pk>/", views.listing_detail, name="listing-detail"),
    path("<int:pk>/rename/", views.listing_rename_view, name="listing-rename"),
    path("import/", views_imports.import_page, name="listing-import"),
    path("import/template/", views_imports.import_template, name="listing-import-template"),
    path("import/<int:pk>/", views_imports.import_detail, name="listing-import-detail"),
]
