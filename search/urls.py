from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("", views.SearchView.as_view(), name="results"),
    path("saved/<slug:list_name>/", views.SavedFilterListView.as_view(), name="saved_filters"),
    path("saved/<slug:list_name>/save/", views.SavedFilterSaveView.as_view(), name="saved_filter_save"),
    path("saved/<int:pk>/delete/", views.SavedFilterDeleteView.as_view(), name="saved_filter_delete"),
]
